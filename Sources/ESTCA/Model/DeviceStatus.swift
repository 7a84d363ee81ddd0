/// A registered device's status: a disabled device is refused every enrollment,
/// re-enrollment and server key generation, under every profile.
public enum DeviceStatus: String, Sendable, CaseIterable {
    case active
    case disabled
}
