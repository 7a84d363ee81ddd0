internal import COpenSSL
import Foundation

/// A private key. The EVP_PKEY never leaves this layer.
public final class PrivateKey: @unchecked Sendable {
    let pkey: OpaquePointer
    public let algorithm: KeyAlgorithm
    /// The key's PKCS#11 URI when it lives in a token (see `token(uri:module:pin:)`): it
    /// signs there and cannot be exported.
    public let tokenURI: PKCS11URI?

    init(owning pkey: OpaquePointer, token: PKCS11URI? = nil) {
        self.pkey = pkey
        algorithm = KeyAlgorithm(of: pkey)
        tokenURI = token
    }

    deinit { EVP_PKEY_free(pkey) }

    /// Generates a fresh key with OpenSSL's default RNG.
    public static func generate(_ type: KeyType) throws -> PrivateKey {
        let made: OpaquePointer?
        switch type {
        case .ecP256: made = estfcgi_ec_gen("P-256")
        case .ecP384: made = estfcgi_ec_gen("P-384")
        case .ecP521: made = estfcgi_ec_gen("P-521")
        case .rsa2048, .rsa3072, .rsa4096: made = estfcgi_rsa_gen(UInt32(type.rsaBits ?? 0))
        case .ed25519: made = estfcgi_ed25519_gen()
        }
        guard let key = made else { throw OpenSSLError("generate \(type.rawValue) key") }
        return PrivateKey(owning: key)
    }

    /// Reads a PEM private key (PKCS#8, encrypted PKCS#8 or traditional). `passphrase`
    /// is required for encrypted keys; a wrong one fails rather than prompting.
    public convenience init(pem: String, passphrase: String? = nil) throws {
        let bio = try MemoryBIO(Data(pem.utf8))
        // A non-NULL empty passphrase stops OpenSSL from prompting on a terminal.
        let pass = passphrase ?? ""
        let key = pass.withCString { p in
            PEM_read_bio_PrivateKey(bio.bio, nil, nil, UnsafeMutableRawPointer(mutating: p))
        }
        guard let k = key else {
            throw OpenSSLError("read private key", detail: passphrase == nil
                ? "not a private key, or encrypted (a passphrase is needed)" : "not a private key, or wrong passphrase")
        }
        OpenSSLError.drainQueue()
        self.init(owning: k)
    }

    /// Reads an unencrypted DER private key (PKCS#8 PrivateKeyInfo or traditional).
    public convenience init(der: Data) throws {
        self.init(owning: try DERBridge.decoded("read DER private key", der, free: { EVP_PKEY_free($0) },
                                                { p, n in d2i_AutoPrivateKey(nil, p, n) }))
    }

    public var publicKey: PublicKey {
        get throws {
            EVP_PKEY_up_ref(pkey)
            return try PublicKey(owning: pkey)
        }
    }

    /// Unencrypted PKCS#8 PrivateKeyInfo DER (RFC 5958), as serverkeygen's application/pkcs8.
    public func pkcs8DER() throws -> Data {
        // OpenSSL would encode an engine key's public half as if it were the private key.
        guard tokenURI == nil else { throw OpenSSLError("encode PKCS#8", detail: "the key is in a PKCS#11 token") }
        let bio = try MemoryBIO()
        guard i2d_PKCS8PrivateKey_bio(bio.bio, pkey, nil, nil, 0, nil, nil) == 1 else {
            throw OpenSSLError("encode PKCS#8")
        }
        return bio.data
    }

    /// The protection `encryptedPKCS8PEM` applies, as a store records it: PBES2 with
    /// PBKDF2-HMAC-SHA256 at 600,000 iterations (OWASP's figure for that PRF) and AES-256-CBC.
    public static let keyProtection = "pbkdf2-sha256-600000"
    static let pbkdf2Iterations: Int32 = 600_000

    /// Encrypted PKCS#8 PEM (RFC 5958 EncryptedPrivateKeyInfo, RFC 8018 PBES2) under
    /// `passphrase`, protected as `keyProtection` says.
    public func encryptedPKCS8PEM(passphrase: String) throws -> String {
        guard tokenURI == nil else { throw OpenSSLError("encrypt private key", detail: "the key is in a PKCS#11 token") }
        guard !passphrase.isEmpty else { throw OpenSSLError("encrypt private key", detail: "empty passphrase") }
        guard let info = EVP_PKEY2PKCS8(pkey) else { throw OpenSSLError("EVP_PKEY2PKCS8") }
        defer { PKCS8_PRIV_KEY_INFO_free(info) }
        guard let algorithm = PKCS5_pbe2_set_iv(EVP_aes_256_cbc(), Self.pbkdf2Iterations, nil, 0, nil, NID_hmacWithSHA256) else {
            throw OpenSSLError("PKCS5_pbe2_set_iv")
        }
        let sealed = passphrase.withCString { p in PKCS8_set0_pbe(p, Int32(strlen(p)), info, algorithm) }
        guard let sealed else {
            X509_ALGOR_free(algorithm)  // set0 takes it only on success
            throw OpenSSLError("encrypt private key")
        }
        defer { X509_SIG_free(sealed) }
        let bio = try MemoryBIO()
        guard PEM_write_bio_PKCS8(bio.bio, sealed) == 1 else { throw OpenSSLError("write encrypted private key") }
        return bio.string
    }

    /// True when `publicKey` is this key's public half.
    public func matches(_ publicKey: PublicKey) -> Bool {
        EVP_PKEY_eq(pkey, publicKey.pkey) == 1
    }
}
