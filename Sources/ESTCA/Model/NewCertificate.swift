import ESTOpenSSL
import Foundation

/// A signed certificate as a row to record: the fields the store indexes and lists,
/// read from the certificate here so that every backend stores the same text.
public struct NewCertificate: Sendable {
    public let serial: String
    public let issuerID: Int64
    /// The issuing CA's name, for the record returned once the row is in.
    public let issuerName: String
    public let profile: String?
    public let subject: String
    public let sans: String
    public let notBefore: String
    public let notAfter: String
    public let fingerprint: String
    public let der: Data
    public let requester: String?
    /// The certificate that authenticated a first enrollment, as its issuer-and-serial
    /// digest (hex), counted against a profile's `--bootstrap-uses`; nil for the CLI and
    /// re-enrollments.
    public let requesterKey: String?
    /// subjectKeyIdentifier in hex, to find a serverkeygen recipient (RFC 7030 §4.4.1.2).
    public let keyIdentifier: String?

    public init(_ certificate: Certificate, issuer: CARecord, profile: String?, requester: String?,
                requesterKey: String? = nil) {
        serial = certificate.serialHex
        issuerID = issuer.id
        issuerName = issuer.name
        self.profile = profile
        subject = certificate.subject.string
        sans = certificate.subjectAltNameText
        notBefore = Timestamp.string(certificate.notBefore)
        notAfter = Timestamp.string(certificate.notAfter)
        fingerprint = certificate.fingerprint.hexString
        der = certificate.der
        self.requester = requester
        self.requesterKey = requesterKey
        keyIdentifier = certificate.subjectKeyIdentifier?.hexString
    }
}
