/// What an issuance asks of the device registry, checked again in the transaction that
/// records the certificate, so that two enrollments of one device at once cannot both pass.
public struct DeviceClaim: Sendable {
    /// The device the CSR names.
    public var name: String
    public var registration: DeviceRegistration
    /// A first enrollment of a device that holds a valid certificate revokes it
    /// (superseded) instead of being refused.
    public var replaceable: Bool
    /// simplereenroll: the device renews the certificate it holds.
    public var renewal: Bool

    public init(name: String, registration: DeviceRegistration, replaceable: Bool, renewal: Bool) {
        self.name = name
        self.registration = registration
        self.replaceable = replaceable
        self.renewal = renewal
    }
}
