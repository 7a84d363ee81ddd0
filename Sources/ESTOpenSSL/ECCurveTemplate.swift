internal import COpenSSL
import Foundation

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

    /// The template of an RFC 5480 §2.1.1 named curve, by its OID's DER as a
    /// SubjectPublicKeyInfo carries it (an OID encoded any other way is not found); nil for
    /// any other curve.
    static func named(oidDER: Data) -> ECCurveTemplate? { byOID[oidDER] }

    private static let byOID: [Data: ECCurveTemplate] = {
        var table: [Data: ECCurveTemplate] = [:]
        for (oid, name) in [("1.2.840.10045.3.1.7", "prime256v1"), ("1.3.132.0.34", "secp384r1"), ("1.3.132.0.35", "secp521r1")] {
            if let der = OID(oid)?.der, let template = ECCurveTemplate(name) { table[der] = template }
        }
        return table
    }()
}
