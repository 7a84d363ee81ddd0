internal import COpenSSL

/// A named curve's domain parameters, made once per process and only read after: the
/// template each CSR's EC key is built on (`estfcgi_ec_public_key` copies the curve from it,
/// a fifth of the cost of building the curve from its name for every request). Never
/// changed once made, so every worker thread may copy from it at once, as OpenSSL allows
/// for keys that are only read.
final class ECCurveTemplate: @unchecked Sendable {
    let pkey: OpaquePointer

    private init?(_ name: String) {
        guard let pkey = estfcgi_ec_parameters(name) else {
            OpenSSLError.drainQueue()
            return nil
        }
        self.pkey = pkey
    }

    deinit { EVP_PKEY_free(pkey) }

    /// The template of an RFC 5480 §2.1.1 curve by OpenSSL's name; nil for any other name.
    static func named(_ name: String) -> ECCurveTemplate? {
        switch name {
        case "prime256v1": return p256
        case "secp384r1": return p384
        case "secp521r1": return p521
        default: return nil
        }
    }

    private static let p256 = ECCurveTemplate("prime256v1")
    private static let p384 = ECCurveTemplate("secp384r1")
    private static let p521 = ECCurveTemplate("secp521r1")
}
