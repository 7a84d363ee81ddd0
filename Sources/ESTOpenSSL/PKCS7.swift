internal import COpenSSL
import Foundation

/// Certs-only PKCS#7: a degenerate SignedData with no signers (RFC 5652 §5,
/// RFC 7030 §4.1.3 and §4.2.3), the shape of /cacerts and enrollment answers.
public enum PKCS7CertsOnly {
    /// The certificates go into the SET in DER order (RFC 5652 §5.1 `CertificateSet ::= SET
    /// OF`, X.690 §11.6), whatever order they are given in: OpenSSL's PKCS7 type declares
    /// the field a SEQUENCE OF and writes it as given, which strict DER parsers (Python's
    /// `cryptography`) refuse. Readers must not rely on the order.
    public static func encode(_ certificates: [Certificate]) throws -> Data {
        guard let p7 = PKCS7_new() else { throw OpenSSLError("PKCS7_new") }
        defer { PKCS7_free(p7) }
        guard PKCS7_set_type(p7, NID_pkcs7_signed) == 1,
              PKCS7_content_new(p7, NID_pkcs7_data) == 1 else { throw OpenSSLError("PKCS7 SignedData") }
        // Sorted by the encodings i2d_PKCS7 writes: `der` is i2d_X509's output for this
        // very (immutable) X509, also for a certificate read from BER.
        for c in DER.sortedForSet(certificates, by: \.der) {
            // PKCS7_add_certificate takes its own reference.
            guard PKCS7_add_certificate(p7, c.x509) == 1 else { throw OpenSSLError("PKCS7_add_certificate") }
        }
        return try DERBridge.encode("i2d_PKCS7") { i2d_PKCS7(p7, $0) }
    }

    /// The certificates of a certs-only PKCS#7 (DER, PEM or base64).
    public static func decode(_ data: Data) throws -> [Certificate] {
        guard let der = PEM.derFromAnyEncoding(data, labels: ["PKCS7"]) else {
            throw OpenSSLError("parse PKCS#7", detail: "not DER, PEM or base64")
        }
        let p7 = try DERBridge.decoded("parse PKCS#7", der, free: { PKCS7_free($0) }, { p, n in d2i_PKCS7(nil, p, n) })
        defer { PKCS7_free(p7) }
        guard let certs = estfcgi_pkcs7_certs(p7) else { return [] }
        return try (0..<estfcgi_sk_X509_num(certs)).map { i in
            guard let x = estfcgi_sk_X509_value(certs, i) else { throw OpenSSLError("PKCS#7 certificate \(i)") }
            X509_up_ref(x)
            return try Certificate(owning: x)
        }
    }
}
