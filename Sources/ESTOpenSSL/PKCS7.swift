internal import COpenSSL
import Foundation

/// Certs-only PKCS#7: a degenerate SignedData with no signers (RFC 5652 §5,
/// RFC 7030 §4.1.3 and §4.2.3), the shape of /cacerts and enrollment answers.
public enum PKCS7CertsOnly {
    /// id-signedData and id-data (RFC 5652 §5.1, §4), as DER OBJECT IDENTIFIERs.
    private static let signedDataOID = Data([0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x02])
    private static let dataOID = Data([0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x01])
    /// eContent [0] EXPLICIT OCTET STRING, empty.
    private static let emptyContent = Data([0xa0, 0x02, 0x04, 0x00])

    /// ContentInfo { id-signedData, [0] SignedData { version 1, digestAlgorithms {},
    /// encapContentInfo { id-data, [0] OCTET STRING {} }, certificates [0] IMPLICIT,
    /// signerInfos {} } }, written here from the certificates' DER: byte for byte what
    /// i2d_PKCS7 wrote for every earlier release and the responder it replaced (an empty
    /// eContent, which `openssl crl2pkcs7` leaves out; PKCS7Tests, LegacyStoreTests),
    /// without building OpenSSL's PKCS7 objects for every answer.
    /// The certificates go into the SET in DER order (RFC 5652 §5.1 `CertificateSet ::= SET
    /// OF`, X.690 §11.6), whatever order they are given in; OpenSSL's PKCS7 type declares the
    /// field a SEQUENCE OF and writes it as given, which strict DER parsers (Python's
    /// `cryptography`) refuse. Readers must not rely on the order. `der` is i2d_X509's
    /// output, also for a certificate read from BER.
    public static func encode(_ certificates: [Certificate]) throws -> Data {
        var w = DERWriter(capacity: certificates.reduce(64) { $0 + $1.der.count })
        w.element(0x30) { w in
            w.append(signedDataOID)
            w.element(0xa0) { w in
                w.element(0x30) { w in
                    w.append([0x02, 0x01, 0x01, 0x31, 0x00])  // version 1, digestAlgorithms {}
                    w.element(0x30) { w in
                        w.append(dataOID)
                        w.append(emptyContent)
                    }
                    if !certificates.isEmpty {
                        let ordered = certificates.count == 1 ? certificates : DER.sortedForSet(certificates, by: \.der)
                        w.element(0xa0) { w in for c in ordered { w.append(c.der) } }
                    }
                    w.append([0x31, 0x00])  // signerInfos {}
                }
            }
        }
        return Data(w.bytes)
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
