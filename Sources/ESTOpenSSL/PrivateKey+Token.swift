internal import COpenSSL
import Foundation

extension PrivateKey {
    /// The private key `uri` names in a PKCS#11 token, logged in with `pin`. Every signature
    /// it makes (certificates, CRLs, CMS, OCSP: whatever takes a PrivateKey) is made by the
    /// token through libp11's engine; the key never leaves it. `module` is the module file,
    /// else the URI's module-path. Throws PKCS11Error. `pin` is never kept in an error.
    public static func token(uri: PKCS11URI, module: String? = nil, pin: String) throws -> PrivateKey {
        guard let path = module ?? uri.modulePath, !path.isEmpty else {
            throw PKCS11Error.moduleNotLoadable(module: "(none)", reason: "no module given (--pkcs11-module, ESTFCGI_PKCS11_MODULE or module-path=)")
        }
        guard path.hasPrefix("/") else {
            throw PKCS11Error.moduleNotLoadable(module: PKCS11URI.shown(path), reason: "not an absolute path")
        }
        guard !pin.isEmpty, !pin.utf8.contains(0), pin.utf8.count <= 256 else {
            throw PKCS11Error.wrongPIN(token: uri.tokenDescription)
        }
        let key = try PKCS11Module.shared(path).loadKey(uri, pin: pin)
        return PrivateKey(owning: key, token: uri)
    }

    /// Signs a fresh random digest and verifies the signature with `certificate`'s public key:
    /// true only when this key (in a token or not) is the certificate's, and can sign.
    public func matches(certificate: Certificate) throws -> Bool {
        var challenge = [UInt8](repeating: 0, count: 32)
        guard RAND_bytes(&challenge, 32) == 1 else { throw OpenSSLError("RAND_bytes") }
        guard let sctx = EVP_MD_CTX_new() else { throw OpenSSLError("EVP_MD_CTX_new") }
        defer { EVP_MD_CTX_free(sctx) }
        let digest = algorithm.signingDigest
        guard EVP_DigestSignInit(sctx, nil, digest, nil, pkey) == 1 else { throw OpenSSLError("sign a test digest") }
        var length = 0
        guard EVP_DigestSign(sctx, nil, &length, challenge, challenge.count) == 1 else { throw OpenSSLError("sign a test digest") }
        var signature = [UInt8](repeating: 0, count: length)
        guard EVP_DigestSign(sctx, &signature, &length, challenge, challenge.count) == 1 else {
            throw OpenSSLError("sign a test digest")
        }
        guard let vctx = EVP_MD_CTX_new() else { throw OpenSSLError("EVP_MD_CTX_new") }
        defer { EVP_MD_CTX_free(vctx) }
        guard EVP_DigestVerifyInit(vctx, nil, digest, nil, certificate.publicKey.pkey) == 1 else {
            OpenSSLError.drainQueue()
            return false  // e.g. an EC key against an RSA certificate
        }
        let ok = EVP_DigestVerify(vctx, signature, length, challenge, challenge.count) == 1
        OpenSSLError.drainQueue()
        return ok
    }
}
