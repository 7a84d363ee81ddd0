import Foundation

extension CARecord {
    /// An earlier generation as a record of its CA (same id and name), so that the keyring
    /// decrypts its key as it decrypts the CA's.
    public init(generation g: CAGeneration, of ca: CARecord) throws {
        try self.init(id: ca.id, name: ca.name, certificateDER: g.certificate.der, chainPEM: g.chain.map(\.pem).joined(),
                      encryptedKeyPEM: g.encryptedKeyPEM, keyProtection: g.keyProtection, status: ca.status,
                      createdAt: g.retiredAt, tokenKey: g.tokenKey)
    }
}
