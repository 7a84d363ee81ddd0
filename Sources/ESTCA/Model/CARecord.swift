import ESTOpenSSL
import Foundation

/// A CA in the store: an issuer (with an encrypted key) or a trust anchor only. Its
/// certificate and chain are parsed once, when the record is read.
public struct CARecord: Sendable {
    public let id: Int64
    public let name: String
    public let certificate: Certificate
    /// The certificates above this CA, up to and including the root.
    public let chain: [Certificate]
    /// PKCS#8 encrypted under the store passphrase; nil for a trust anchor.
    public let encryptedKeyPEM: String?
    /// How `encryptedKeyPEM` is protected (e.g. `pbkdf2-sha256-600000`); nil without a key.
    public let keyProtection: String?
    public let status: CAStatus
    public let createdAt: String
    /// The key in a PKCS#11 token instead of `encryptedKeyPEM`; nil for a software key.
    public let tokenKey: TokenKeyReference?

    public init(id: Int64, name: String, certificateDER: Data, chainPEM: String, encryptedKeyPEM: String?,
                keyProtection: String? = nil, status: CAStatus, createdAt: String, tokenKey: TokenKeyReference? = nil) throws {
        self.id = id
        self.name = name
        certificate = try Certificate(der: certificateDER)
        chain = try Certificate.all(fromPEM: chainPEM)
        self.encryptedKeyPEM = encryptedKeyPEM
        self.keyProtection = encryptedKeyPEM == nil ? nil : keyProtection
        self.status = status
        self.createdAt = createdAt
        self.tokenKey = encryptedKeyPEM == nil ? tokenKey : nil
    }

    public var hasKey: Bool { encryptedKeyPEM != nil || tokenKey != nil }

    /// Where the key lives, as `ca list` says it: `pkcs11`, `encrypted` or `none`.
    public var keyLocation: String { tokenKey != nil ? "pkcs11" : encryptedKeyPEM != nil ? "encrypted" : "none" }
}
