import Foundation

/// An issued certificate's status. The store records `valid` or `revoked`; `expired` is
/// a valid certificate past its notAfter, computed when read.
public enum CertificateStatus: String, Sendable, CaseIterable {
    case valid
    case revoked
    case expired
}
