import Foundation

/// One revokedCertificates entry of a CRL (RFC 5280 §5.1.2.6).
public struct RevokedEntry: Hashable, Sendable {
    /// The certificate's serial, big-endian unsigned octets as in `CertificateTemplate.serial`.
    /// A parsed CRL gives it without leading zero octets.
    public var serial: Data
    public var revokedAt: Date
    /// The CRLReason value (RFC 5280 §5.3.1), nil for no reasonCode entry extension.
    /// CRLSigner takes 0...10 except 7 (unused) and 8 (removeFromCRL, delta CRLs only),
    /// and writes 0 (unspecified) as no extension, as §5.3.1 says it SHOULD.
    public var reasonCode: Int?

    public init(serial: Data, revokedAt: Date, reasonCode: Int? = nil) {
        self.serial = serial
        self.revokedAt = revokedAt
        self.reasonCode = reasonCode
    }
}
