/// What an issuance asks of the device registry, checked again in the transaction that
/// records the certificate, so that two enrollments of one device at once cannot both pass.
public struct DeviceClaim: Sendable {
    /// The device the CSR names: the profile's `--device-id` kind and the value.
    public var device: DeviceKey
    public var name: String { device.name }
    public var registration: DeviceRegistration
    /// A first enrollment of a device that holds a valid certificate revokes it
    /// (superseded) instead of being refused.
    public var replaceable: Bool
    /// simplereenroll: the device renews the certificate it holds.
    public var renewal: Bool
    /// Who may replace the device's certificates under `replaceable`: the bootstrap
    /// certificate (its issuer-and-serial digest) that obtained them first; nil when the
    /// request is authenticated as the device itself (its HTTP user is its name).
    public var replacer: String?

    public init(device: DeviceKey, registration: DeviceRegistration, replaceable: Bool, renewal: Bool, replacer: String? = nil) {
        self.device = device
        self.registration = registration
        self.replaceable = replaceable
        self.renewal = renewal
        self.replacer = replacer
    }
}
