/// Whether a profile keeps a device registry (`--registration`), in the manner of
/// Lamassu's DMS "registration mode".
public enum DeviceRegistration: String, Sendable, CaseIterable {
    /// No registry: devices are not recorded (a known device is still held to its profile
    /// and to a disable).
    case off
    /// Just in time: a device is recorded on its first enrollment.
    case jit
    /// Only devices an operator added (`estfcgi device add`) may enroll.
    case preregistered

    public static let names = allCases.map(\.rawValue).joined(separator: "|")
}
