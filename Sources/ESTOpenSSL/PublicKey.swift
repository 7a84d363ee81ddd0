internal import COpenSSL
import Foundation

/// A public key read from a certificate or CSR, with what estfcgi asks of it read once.
public final class PublicKey: @unchecked Sendable {
    let pkey: OpaquePointer
    public let algorithm: KeyAlgorithm
    /// SubjectPublicKeyInfo DER (RFC 5280 §4.1.2.7).
    public let spkiDER: Data
    /// RFC 5280 §4.2.1.2 method 1: SHA-1 of the subjectPublicKey BIT STRING contents.
    public let keyIdentifier: Data

    /// Takes ownership of one reference to `pkey` (also when it throws).
    init(owning pkey: OpaquePointer) throws {
        self.pkey = pkey
        algorithm = KeyAlgorithm(of: pkey)
        spkiDER = try DERBridge.encode("i2d_PUBKEY") { i2d_PUBKEY(pkey, $0) }
        var xp: OpaquePointer? = nil
        guard X509_PUBKEY_set(&xp, pkey) == 1, let xpub = xp else { throw OpenSSLError("X509_PUBKEY_set") }
        defer { X509_PUBKEY_free(xpub) }
        var key: UnsafePointer<UInt8>?
        var len: Int32 = 0
        guard X509_PUBKEY_get0_param(nil, &key, &len, nil, xpub) == 1, let k = key else {
            throw OpenSSLError("X509_PUBKEY_get0_param")
        }
        keyIdentifier = Digest.sha1(Data(bytes: k, count: Int(len)))
    }

    deinit { EVP_PKEY_free(pkey) }
}
