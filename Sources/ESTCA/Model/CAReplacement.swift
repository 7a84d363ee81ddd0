import ESTOpenSSL
import Foundation

/// A CA's new certificate (`ca rollover`, `ca renew`): the store moves the current one,
/// with its key and chain, into a `CAGeneration` and makes this current, in one transaction.
public struct CAReplacement: Sendable {
    public var name: String
    /// The current certificate this replaces (fingerprint checked in the transaction, so
    /// two replacements at once make one).
    public var replacing: Certificate
    public var certificate: Certificate
    public var chain: [Certificate]
    /// The new current key: encrypted (software), or in a token (`tokenKey`); one of the two.
    public var encryptedKeyPEM: String?
    public var tokenKey: TokenKeyReference?
    public var newWithOld: Certificate?
    public var oldWithNew: Certificate?
    /// A root rollover: refused while an earlier rollover of this CA is in its overlap.
    public var isRollover: Bool { newWithOld != nil }
    public var keyProtection: String? { encryptedKeyPEM.map { KeyProtection.of(pem: $0).rawValue } }

    public init(name: String, replacing: Certificate, certificate: Certificate, chain: [Certificate], encryptedKeyPEM: String?,
                tokenKey: TokenKeyReference? = nil, newWithOld: Certificate? = nil, oldWithNew: Certificate? = nil) {
        self.name = name
        self.replacing = replacing
        self.certificate = certificate
        self.chain = chain
        self.encryptedKeyPEM = tokenKey == nil ? encryptedKeyPEM : nil
        self.tokenKey = tokenKey
        self.newWithOld = newWithOld
        self.oldWithNew = oldWithNew
    }

    public var chainPEM: String { chain.map(\.pem).joined() }
}
