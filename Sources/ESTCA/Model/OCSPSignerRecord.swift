import ESTOpenSSL
import Foundation

/// Who signs a CA's OCSP responses (RFC 6960 §4.2.2.2): a delegated responder certificate
/// the CA issued (EKU id-kp-OCSPSigning, id-pkix-ocsp-nocheck) with its software key
/// encrypted under the store passphrase like CA keys, or, when the operator chose it, the CA
/// itself (`certificate` nil: "direct"). One per CA; `validityHours` is how far ahead its
/// answers' nextUpdate lies.
public struct OCSPSignerRecord: Sendable {
    public let ca: String
    /// The delegated responder certificate; nil when the CA signs directly.
    public let certificate: Certificate?
    /// PKCS#8 encrypted under the store passphrase; nil when the CA signs directly.
    public let encryptedKeyPEM: String?
    public let keyProtection: String?
    public let validityHours: Int
    public let createdAt: String

    public init(ca: String, certificateDER: Data?, encryptedKeyPEM: String?, keyProtection: String?,
                validityHours: Int, createdAt: String) throws {
        self.ca = ca
        certificate = try certificateDER.map { try Certificate(der: $0) }
        self.encryptedKeyPEM = encryptedKeyPEM
        self.keyProtection = keyProtection
        self.validityHours = validityHours
        self.createdAt = createdAt
    }

    public var isDirect: Bool { certificate == nil }

    /// RFC 6960 §4.2.2.1 leaves nextUpdate to the responder; 1 hour to 7 days.
    public static let validityHoursRange = 1...168
    public static let defaultValidityHours = 24

    /// Whether a delegated signer should be replaced at `now`: past 2/3 of its life (so a
    /// responder re-checking hourly renews it long before it lapses), or not valid at all.
    public func isDue(at now: Date) -> Bool {
        guard let certificate else { return false }
        let life = certificate.notAfter.timeIntervalSince(certificate.notBefore)
        return now >= certificate.notBefore.addingTimeInterval(life * 2 / 3) || now < certificate.notBefore
    }
}
