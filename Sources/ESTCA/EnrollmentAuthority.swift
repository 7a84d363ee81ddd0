import ESTOpenSSL
import Foundation

/// What the EST protocol core asks of a CA, one method per RFC 7030 operation, in the
/// manner of globalsign/est's `CA` interface. Implementations decide trust and policy
/// and throw `CAError` (which the core maps to an HTTP status) when they refuse.
/// `profile` is the RFC 7030 §3.2.2 label, nil for the default profile.
public protocol EnrollmentAuthority: AnyObject {
    /// §4.1: the certificates /cacerts returns.
    func caCertificates(profile: String?) throws -> [Certificate]
    /// §4.2.1: first enrollment, authenticated by `client` (the TLS client certificate).
    func enroll(csr: CertificateSigningRequest, profile: String?, client: Certificate?) throws -> Certificate
    /// §4.2.2: renewal or rekey of `client`, a certificate this CA issued.
    func reenroll(csr: CertificateSigningRequest, profile: String?, client: Certificate?) throws -> Certificate
    /// §4.4: a key generated here and a certificate for it; `csr` is a template whose
    /// public key is ignored.
    func serverKeyGen(csr: CertificateSigningRequest, profile: String?, client: Certificate?) throws -> ServerGeneratedKey
    /// §4.5: the DER CsrAttrs the profile asks for, nil when it asks for nothing (204).
    func csrAttributes(profile: String?) throws -> Data?
    /// Records one audit event (every request leaves one, allowed or refused).
    func audit(_ event: AuditEvent)
}

/// The answer to serverkeygen (RFC 7030 §4.4.2): the key part and the certificate.
public struct ServerGeneratedKey {
    public enum KeyPart {
        /// Unencrypted PKCS#8 PrivateKeyInfo DER (application/pkcs8).
        case pkcs8(Data)
        /// CMS EnvelopedData of a SignedData of the key (smime-type=server-generated-key).
        case encrypted(Data, recipient: String)
    }

    public let key: KeyPart
    public let certificate: Certificate
    public let keyType: KeyType

    /// The subject of the certificate the key was encrypted to, nil when sent in clear.
    public var encryptedTo: String? {
        if case .encrypted(_, let recipient) = key { return recipient }
        return nil
    }

    public init(key: KeyPart, certificate: Certificate, keyType: KeyType) {
        self.key = key
        self.certificate = certificate
        self.keyType = keyType
    }
}
