/// Which issued certificates a listing shows; nil fields do not filter.
public struct CertificateFilter: Sendable {
    public enum ProfileSelection: Sendable, Equatable {
        case any
        case defaultProfile
        case label(String)
    }

    public var profile: ProfileSelection = .any
    /// valid = not revoked and not expired at the listing's time.
    public var status: CertificateStatus? = nil
    /// Only valid certificates whose notAfter is within this many days.
    public var expiringWithinDays: Int? = nil
    /// Only the certificates of this registered device.
    public var device: DeviceKey? = nil

    public init(profile: ProfileSelection = .any, status: CertificateStatus? = nil, expiringWithinDays: Int? = nil,
                device: DeviceKey? = nil) {
        self.profile = profile
        self.status = status
        self.expiringWithinDays = expiringWithinDays
        self.device = device
    }
}
