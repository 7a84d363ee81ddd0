import ESTOpenSSL

/// A CA to insert: what the administration built or imported, key already encrypted.
public struct NewCA: Sendable {
    public var name: String
    public var certificate: Certificate
    public var chain: [Certificate]
    public var encryptedKeyPEM: String?
    public var keyProtection: String? { encryptedKeyPEM == nil ? nil : PrivateKey.keyProtection }

    public init(name: String, certificate: Certificate, chain: [Certificate], encryptedKeyPEM: String?) {
        self.name = name
        self.certificate = certificate
        self.chain = chain
        self.encryptedKeyPEM = encryptedKeyPEM
    }

    public var chainPEM: String { chain.map(\.pem).joined() }
}
