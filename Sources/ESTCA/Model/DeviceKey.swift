/// A device as the registry knows it: the kind of CSR field that names it (a profile's
/// `--device-id`) and the value. `CN=dev-1` and the SAN URI `dev-1` are two devices: a
/// registration or a disable of one says nothing of the other.
public struct DeviceKey: Sendable, Hashable, CustomStringConvertible {
    public var kind: DeviceIdentifier
    public var name: String

    public init(_ kind: DeviceIdentifier, _ name: String) {
        self.kind = kind
        self.name = name
    }

    public var description: String { "\(name) (\(kind.rawValue))" }
}
