import Foundation

/// What a responder says of one certificate (RFC 6960 §4.2.1 CertStatus, §2.2).
public enum OCSPCertStatus: Hashable, Sendable {
    /// Not revoked (RFC 6960 §2.2: says nothing of whether it was ever issued, but this
    /// responder says it only of certificates its CA issued).
    case good
    /// Revoked at `at`, with the CRLReason value `reasonCode` (RFC 5280 §5.3.1), nil for none.
    /// OCSPResponseBuilder takes 0...10 but 7 and 8, and writes 0 (unspecified) as no reason,
    /// as CRLSigner does, so that the CRL and the responder say the same.
    case revoked(at: Date, reasonCode: Int?)
    /// A serial the CA never issued (RFC 6960 §2.2), or one the responder cannot answer for.
    case unknown
}
