import COpenSSL
import Foundation

/// A public key read from a certificate or CSR.
public final class PublicKey: @unchecked Sendable {
    let pkey: OpaquePointer

    /// Takes ownership of one reference to `pkey`.
    init(owning pkey: OpaquePointer) { self.pkey = pkey }

    deinit { EVP_PKEY_free(pkey) }

    public var algorithm: KeyAlgorithm { keyAlgorithm(of: pkey) }

    /// SubjectPublicKeyInfo DER (RFC 5280 §4.1.2.7).
    public var spkiDER: Data {
        (try? derEncode("i2d_PUBKEY") { i2d_PUBKEY(pkey, $0) }) ?? Data()
    }

    public var pem: String { PEM.encode(spkiDER, label: "PUBLIC KEY") }

    /// RFC 5280 §4.2.1.2 method 1: SHA-1 of the subjectPublicKey BIT STRING contents.
    public var keyIdentifier: Data {
        var xp: OpaquePointer? = nil
        guard X509_PUBKEY_set(&xp, pkey) == 1, let xpub = xp else { return Data() }
        defer { X509_PUBKEY_free(xpub) }
        var key: UnsafePointer<UInt8>?
        var len: Int32 = 0
        guard X509_PUBKEY_get0_param(nil, &key, &len, nil, xpub) == 1, let k = key else { return Data() }
        return Digest.sha1(Data(bytes: k, count: Int(len)))
    }
}
