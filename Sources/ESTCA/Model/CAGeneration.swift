import ESTOpenSSL
import Foundation

/// An earlier certificate (and key) of a CA, kept after `ca rollover` or `ca renew` replaced
/// it. The CA's current certificate and key (its `CARecord`) sign what is issued; an earlier
/// generation stays trusted for client chains until it expires, and its key signs only CRLs
/// of what it certified (RFC 4210 §4.4: the old key is kept for the certificates it made).
public struct CAGeneration: Sendable {
    public let id: Int64
    /// The CA (by name) this certificate was a generation of.
    public let caName: String
    public let certificate: Certificate
    /// The certificates above it when it was current.
    public let chain: [Certificate]
    /// Its key, encrypted like a CA's (nil: a trust anchor's generation).
    public let encryptedKeyPEM: String?
    public let keyProtection: String?
    /// RFC 4210 §4.4 link certificates of a root rollover (nil after a `ca renew`):
    /// NewWithOld, the new key certified by this (old) key, and OldWithNew, this key
    /// certified by the new one.
    public let newWithOld: Certificate?
    public let oldWithNew: Certificate?
    /// During a rollover's overlap: /cacerts carries the Root CA Key Update certificates
    /// (RFC 7030 §4.1.3). `ca rollover --finish` clears it.
    public let inOverlap: Bool
    public let retiredAt: String
    /// Its key in a PKCS#11 token instead of `encryptedKeyPEM` (a token CA rolled over or renewed).
    public let tokenKey: TokenKeyReference?

    public init(id: Int64, caName: String, certificate: Certificate, chain: [Certificate], encryptedKeyPEM: String?,
                keyProtection: String?, newWithOld: Certificate?, oldWithNew: Certificate?, inOverlap: Bool, retiredAt: String,
                tokenKey: TokenKeyReference? = nil) {
        self.id = id
        self.caName = caName
        self.certificate = certificate
        self.chain = chain
        self.encryptedKeyPEM = encryptedKeyPEM
        self.keyProtection = encryptedKeyPEM == nil ? nil : keyProtection
        self.newWithOld = newWithOld
        self.oldWithNew = oldWithNew
        self.inOverlap = inOverlap
        self.retiredAt = retiredAt
        self.tokenKey = encryptedKeyPEM == nil ? tokenKey : nil
    }

    public var hasKey: Bool { encryptedKeyPEM != nil || tokenKey != nil }

    /// Where its key lives, as `ca list` says it: `pkcs11`, `encrypted` or `none`.
    public var keyLocation: String { tokenKey != nil ? "pkcs11" : encryptedKeyPEM != nil ? "encrypted" : "none" }
}
