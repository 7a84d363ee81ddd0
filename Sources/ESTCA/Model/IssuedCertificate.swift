import Foundation

/// A certificate this store issued, as recorded.
public struct IssuedCertificate: Sendable {
    public var id: Int64
    public var serial: String
    /// The name of the issuing CA.
    public var issuer: String
    public var profile: String?
    public var subject: String
    public var sans: String
    public var notBefore: String
    public var notAfter: String
    public var fingerprint: String
    public var der: Data
    /// `valid` or `revoked` as stored; see `effectiveStatus` for expiry.
    public var status: CertificateStatus
    public var revokedAt: String?
    public var revocationReason: RevocationReason?
    public var replacesSerial: String?
    public var requester: String?
    public var issuedAt: String

    public init(id: Int64, serial: String, issuer: String, profile: String?, subject: String, sans: String,
                notBefore: String, notAfter: String, fingerprint: String, der: Data, status: CertificateStatus,
                revokedAt: String?, revocationReason: RevocationReason?, replacesSerial: String?, requester: String?,
                issuedAt: String) {
        self.id = id
        self.serial = serial
        self.issuer = issuer
        self.profile = profile
        self.subject = subject
        self.sans = sans
        self.notBefore = notBefore
        self.notAfter = notAfter
        self.fingerprint = fingerprint
        self.der = der
        self.status = status
        self.revokedAt = revokedAt
        self.revocationReason = revocationReason
        self.replacesSerial = replacesSerial
        self.requester = requester
        self.issuedAt = issuedAt
    }

    public func effectiveStatus(at now: Date) -> CertificateStatus {
        if status == .valid, let end = Timestamp.date(notAfter), end < now { return .expired }
        return status
    }
}
