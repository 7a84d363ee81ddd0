internal import COpenSSL
import Foundation

/// Signatures over bytes encoded here (a TBSCertificate), as X509_sign makes them.
extension PrivateKey {
    /// The signature AlgorithmIdentifier DER (RFC 5280 §4.1.1.2) for this key and
    /// `algorithm.signingDigest`: RFC 5758 §3.2 ECDSA and RFC 8410 §3 Ed25519 without
    /// parameters, RFC 4055 §5 RSA PKCS #1 v1.5 with NULL (what X509_sign writes); for any
    /// other key, what OpenSSL's signature provider names (an RSA-PSS key's parameters).
    func certificateSignatureAlgorithm() throws -> Data {
        switch algorithm {
        case .ec(let curve) where curve == "secp384r1": return Self.ecdsaWithSHA384
        case .ec(let curve) where curve == "secp521r1": return Self.ecdsaWithSHA512
        case .ec: return Self.ecdsaWithSHA256
        case .rsa: return Self.sha256WithRSAEncryption
        case .ed25519: return Self.ed25519
        case .rsaPSS, .other:
            guard let ctx = EVP_MD_CTX_new() else { throw OpenSSLError("EVP_MD_CTX_new") }
            defer { EVP_MD_CTX_free(ctx) }
            var pctx: OpaquePointer? = nil
            var buffer = [UInt8](repeating: 0, count: 256)
            guard EVP_DigestSignInit(ctx, &pctx, algorithm.signingDigest, nil, pkey) == 1, let pctx else {
                throw OpenSSLError("sign certificate", detail: "cannot sign with a \(algorithm) key")
            }
            let n = estfcgi_signature_algorithm_id(pctx, &buffer, buffer.count)
            guard n > 0 else { throw OpenSSLError("sign certificate", detail: "no signature algorithm for a \(algorithm) key") }
            return Data(buffer.prefix(n))
        }
    }

    private static let ecdsaWithSHA256 = DER.sequence([OID.ecdsaWithSHA256.der])
    private static let ecdsaWithSHA384 = DER.sequence([OID.ecdsaWithSHA384.der])
    private static let ecdsaWithSHA512 = DER.sequence([OID.ecdsaWithSHA512.der])
    private static let sha256WithRSAEncryption = DER.sequence([OID.sha256WithRSAEncryption.der, Data([0x05, 0x00])])
    private static let ed25519 = DER.sequence([OID.idEd25519.der])

    /// The signature over `message` with `algorithm.signingDigest` (none for Ed25519).
    func signature(over message: Data) throws -> Data {
        guard let ctx = EVP_MD_CTX_new() else { throw OpenSSLError("EVP_MD_CTX_new") }
        defer { EVP_MD_CTX_free(ctx) }
        // One signature per context: without FINALISE, EVP_DigestSignFinal signs a duplicate
        // of the whole context so that it could take more input.
        EVP_MD_CTX_set_flags(ctx, EVP_MD_CTX_FLAG_FINALISE)
        guard EVP_DigestSignInit(ctx, nil, algorithm.signingDigest, nil, pkey) == 1 else {
            throw OpenSSLError("sign certificate")
        }
        // The key's largest signature: one call signs, with no call to ask the length first.
        var length = Int(EVP_PKEY_get_size(pkey))
        guard length > 0 else { throw OpenSSLError("sign certificate", detail: "no signature size for a \(algorithm) key") }
        var signature = [UInt8](repeating: 0, count: length)
        let signed = message.withUnsafeBytes { m in
            EVP_DigestSign(ctx, &signature, &length, m.bindMemory(to: UInt8.self).baseAddress, m.count)
        }
        guard signed == 1 else { throw OpenSSLError("sign certificate") }
        return Data(signature.prefix(length))
    }
}
