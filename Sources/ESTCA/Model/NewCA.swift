import ESTOpenSSL

/// A CA to insert: what the administration built or imported, key already encrypted.
public struct NewCA: Sendable {
    public var name: String
    public var certificate: Certificate
    public var chain: [Certificate]
    public var encryptedKeyPEM: String?
    public var keyProtection: String? { encryptedKeyPEM.map { KeyProtection.of(pem: $0).rawValue } }
    /// A key in a PKCS#11 token (then `encryptedKeyPEM` is nil).
    public var tokenKey: TokenKeyReference?

    public init(name: String, certificate: Certificate, chain: [Certificate], encryptedKeyPEM: String?) {
        self.name = name
        self.certificate = certificate
        self.chain = chain
        self.encryptedKeyPEM = encryptedKeyPEM
    }

    public init(name: String, certificate: Certificate, chain: [Certificate], tokenKey: TokenKeyReference) {
        self.init(name: name, certificate: certificate, chain: chain, encryptedKeyPEM: nil)
        self.tokenKey = tokenKey
    }

    public var chainPEM: String { chain.map(\.pem).joined() }
}
