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
    /// The RSA public exponent (big-endian, no leading zeros); nil for other keys.
    public let rsaExponent: Data?
    /// For an EC key, whether its parameters are a named curve (RFC 5480 §2.1.1: the
    /// only form PKIX allows); true for other keys.
    public let hasNamedCurve: Bool
    /// For an EC key, whether its point is in a form PKIX allows (RFC 5480 §2.2: compressed
    /// 02/03 or uncompressed 04, never hybrid 06/07); true for other keys.
    public let hasPermittedPointForm: Bool

    /// Takes ownership of one reference to `pkey` (also when it throws). `spki` is the
    /// SubjectPublicKeyInfo as received, when there is one: OpenSSL may re-encode a key.
    convenience init(owning pkey: OpaquePointer, spki: OpaquePointer? = nil) throws {
        let der: Data
        do {
            if let spki {
                der = try DERBridge.encode("i2d_X509_PUBKEY") { i2d_X509_PUBKEY(spki, $0) }
            } else {
                der = try DERBridge.encode("i2d_PUBKEY") { i2d_PUBKEY(pkey, $0) }
            }
        } catch {
            EVP_PKEY_free(pkey)
            throw error
        }
        try self.init(owning: pkey, spkiDER: der)
    }

    /// Takes ownership of one reference to `pkey` (also when it throws); `spkiDER` is its
    /// SubjectPublicKeyInfo as received.
    init(owning pkey: OpaquePointer, spkiDER: Data) throws {
        self.pkey = pkey
        algorithm = KeyAlgorithm(of: pkey)
        self.spkiDER = spkiDER
        if algorithm.isRSA {
            var e: OpaquePointer? = nil
            guard EVP_PKEY_get_bn_param(pkey, "e", &e) == 1, let e else { throw OpenSSLError("RSA public exponent") }
            defer { BN_free(e) }
            var bytes = [UInt8](repeating: 0, count: Int((BN_num_bits(e) + 7) / 8))
            BN_bn2bin(e, &bytes)
            rsaExponent = Data(bytes)
        } else {
            rsaExponent = nil
        }
        // Read from the DER rather than re-encoded by OpenSSL 3, whose encoder and decoder
        // round trip cost more than the rest of a certificate's parse.
        guard let spki = DER.elements(spkiDER)?.first, spki.tag == 0x30, let parts = DER.elements(spki.content),
              parts.count == 2, parts[1].tag == 0x03, let unused = parts[1].content.first, unused == 0 else {
            throw OpenSSLError("SubjectPublicKeyInfo", detail: "malformed subjectPublicKey")
        }
        keyIdentifier = Digest.sha1(parts[1].content.dropFirst())
        // SubjectPublicKeyInfo ::= SEQUENCE { SEQUENCE { algorithm OID, parameters }, BIT STRING }
        if let fields = DER.elements(parts[0].content), let type = fields.first, DER.oid(type) == .idEcPublicKey {
            hasNamedCurve = fields.count == 2 && fields[1].tag == 0x06
            let bits = parts[1].content
            hasPermittedPointForm = bits.count > 1 && [0x02, 0x03, 0x04].contains(bits[bits.startIndex + 1])
        } else {
            hasNamedCurve = true
            hasPermittedPointForm = true
        }
    }

    deinit { EVP_PKEY_free(pkey) }

}
