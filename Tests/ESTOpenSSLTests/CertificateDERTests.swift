import COpenSSL
@testable import ESTOpenSSL
import Foundation
import XCTest

/// CertificateSigner encodes the TBSCertificate itself: for every kind of template and
/// issuer key, the bytes must be those X509_sign gave (X509SignReference), and the
/// signature must verify.
final class CertificateDERTests: XCTestCase {
    /// TBSCertificate and signatureAlgorithm of a certificate's DER (the signature differs
    /// between two ECDSA signatures of the same bytes).
    private func signedParts(_ c: Certificate) throws -> (tbs: Data, algorithm: Data) {
        let parts = try XCTUnwrap(DER.elements(try XCTUnwrap(DER.elements(c.der)?.first).content))
        XCTAssertEqual(parts.count, 3)
        return (parts[0].encoded, parts[1].encoded)
    }

    private func template(_ subject: String, key: PrivateKey, serial: Data = Data([0x01, 0x02, 0x03]),
                          notBefore: Date = Date(timeIntervalSince1970: 1_790_000_000.75),
                          notAfter: Date = Date(timeIntervalSince1970: 1_900_000_000)) throws -> CertificateTemplate {
        CertificateTemplate(subject: try DistinguishedName(parsing: subject), publicKey: try key.publicKey, serial: serial,
                            notBefore: notBefore, notAfter: notAfter, isCA: false, keyUsage: [.digitalSignature])
    }

    /// The templates estfcgi makes (leaf, CA, OCSP signer) and the edges of each field.
    private func templates(subjectKey: PrivateKey) throws -> [(String, CertificateTemplate)] {
        var out: [(String, CertificateTemplate)] = []
        var t = try template("CN=leaf,O=Example", key: subjectKey)
        t.extendedKeyUsage = [.clientAuth]
        out.append(("leaf", t))
        t.subjectAltNameDER = Data([0x30, 0x0b, 0x82, 0x09]) + Data("a.example".utf8)
        t.crlDistributionPoints = ["http://ca.example/crl/p"]
        t.ocspURLs = ["http://ocsp.example/", "http://ocsp2.example/x"]
        t.extendedKeyUsage = [.clientAuth, .serverAuth, .custom(OID("1.3.6.1.4.1.99999.1")!)]
        t.keyUsage = [.digitalSignature, .keyEncipherment]
        out.append(("leaf with SAN, CRL DP, AIA, EKUs", t))
        t.subject = try DistinguishedName(der: Data([0x30, 0x00]))
        out.append(("empty subject: SAN critical", t))
        var ca = try template("CN=Sub CA,O=Example", key: subjectKey)
        ca.isCA = true
        ca.pathLength = 0
        ca.keyUsage = [.keyCertSign, .cRLSign]
        out.append(("CA, pathlen 0", ca))
        ca.pathLength = 7
        ca.keyUsage = [.keyCertSign]
        out.append(("CA, pathlen 7", ca))
        ca.pathLength = nil
        ca.keyUsage = []
        out.append(("CA, no keyUsage", ca))
        ca.keyUsage = [.digitalSignature]
        out.append(("cA TRUE without keyCertSign", ca))
        var ocsp = try template("CN=OCSP", key: subjectKey)
        ocsp.extendedKeyUsage = [.ocspSigning]
        ocsp.ocspNoCheck = true
        out.append(("OCSP signer", ocsp))
        for (name, bits) in [("keyAgreement", KeyUsage.keyAgreement), ("cRLSign", .cRLSign),
                             ("nonRepudiation+dataEncipherment", [.nonRepudiation, .dataEncipherment])] {
            var k = try template("CN=ku", key: subjectKey)
            k.keyUsage = bits
            out.append(("keyUsage \(name)", k))
        }
        for (name, serial) in [("high bit", Data([0x80, 0x00, 0x01])), ("leading zeros", Data([0x00, 0x00, 0x7f, 0x01])),
                               ("zero", Data([0x00])), ("128 random bits", try CertificateTemplate.randomSerial())] {
            out.append(("serial \(name)", try template("CN=serial", key: subjectKey, serial: serial)))
        }
        for (name, after) in [("2049-12-31T23:59:59Z", 2_524_607_999.0), ("2050-01-01T00:00:00Z", 2_524_608_000.0),
                              ("9999-12-31T23:59:59Z", 253_402_300_799.0)] {
            out.append(("notAfter \(name)", try template("CN=time", key: subjectKey, notAfter: Date(timeIntervalSince1970: after))))
        }
        out.append(("notBefore 1950", try template("CN=time", key: subjectKey, notBefore: Date(timeIntervalSince1970: -631_152_000))))
        out.append(("notBefore 1949", try template("CN=time", key: subjectKey, notBefore: Date(timeIntervalSince1970: -631_152_001))))
        return out
    }

    func testTheEncodingIsX509SignsForEveryTemplateAndKey() throws {
        let subjectKeys = [try PrivateKey.generate(.ecP256), try PrivateKey.generate(.rsa2048), try PrivateKey.generate(.ed25519)]
        for issuerType in [KeyType.ecP256, .ecP384, .ecP521, .rsa2048, .ed25519] {
            let issuerKey = try PrivateKey.generate(issuerType)
            var rootTemplate = try template("CN=Root \(issuerType)", key: issuerKey)
            rootTemplate.isCA = true
            rootTemplate.keyUsage = [.keyCertSign, .cRLSign]
            let root = try CertificateSigner.sign(rootTemplate, issuer: nil, issuerKey: issuerKey)
            let rootReference = try X509SignReference.sign(rootTemplate, issuer: nil, issuerKey: issuerKey)
            XCTAssertEqual(try signedParts(root).tbs, try signedParts(rootReference).tbs, "self-signed \(issuerType)")
            XCTAssertEqual(try signedParts(root).algorithm, try signedParts(rootReference).algorithm, "self-signed \(issuerType)")
            XCTAssertTrue(root.isSigned(by: root), "self-signed \(issuerType)")
            for subjectKey in subjectKeys {
                for (name, t) in try templates(subjectKey: subjectKey) {
                    let what = "\(name), \(subjectKey.algorithm) key, issued by \(issuerType)"
                    let built = try CertificateSigner.sign(t, issuer: root, issuerKey: issuerKey)
                    let reference = try X509SignReference.sign(t, issuer: root, issuerKey: issuerKey)
                    let (tbs, algorithm) = try signedParts(built)
                    XCTAssertEqual(tbs, try signedParts(reference).tbs, what)
                    XCTAssertEqual(algorithm, try signedParts(reference).algorithm, what)
                    XCTAssertTrue(built.isSigned(by: root), what)
                    if issuerType == .ed25519 || issuerType == .rsa2048 {
                        // Deterministic signatures: the whole certificate is the same.
                        XCTAssertEqual(built.der, reference.der, what)
                    }
                    try assertBuiltFieldsAreParsed(built, what)
                }
            }
        }
    }

    /// A key OpenSSL's signature provider names the algorithm of (RSA-PSS, with parameters).
    func testAnRSAPSSIssuerKeySignsAsX509SignDoes() throws {
        let ctx = try XCTUnwrap(EVP_PKEY_CTX_new_from_name(nil, "RSA-PSS", nil))
        defer { EVP_PKEY_CTX_free(ctx) }
        XCTAssertEqual(EVP_PKEY_keygen_init(ctx), 1)
        XCTAssertEqual(EVP_PKEY_CTX_set_rsa_keygen_bits(ctx, 2048), 1)
        var pkey: OpaquePointer? = nil
        XCTAssertEqual(EVP_PKEY_generate(ctx, &pkey), 1)
        let issuerKey = PrivateKey(owning: try XCTUnwrap(pkey))
        XCTAssertEqual(issuerKey.algorithm, .rsaPSS(bits: 2048))
        var t = try template("CN=PSS root", key: issuerKey)
        t.isCA = true
        t.keyUsage = [.keyCertSign]
        let root = try CertificateSigner.sign(t, issuer: nil, issuerKey: issuerKey)
        let reference = try X509SignReference.sign(t, issuer: nil, issuerKey: issuerKey)
        XCTAssertEqual(try signedParts(root).tbs, try signedParts(reference).tbs)
        XCTAssertEqual(try signedParts(root).algorithm, try signedParts(reference).algorithm)
        XCTAssertTrue(root.isSigned(by: root))
        XCTAssertTrue(reference.isSigned(by: root))
    }

    /// A CSR's key read on the fast path keeps its bytes: a long-form length where a short
    /// one fits is written minimally in the certificate.
    func testTheKeyIsWrittenInMinimalDER() throws {
        let key = try PrivateKey.generate(.ecP256)
        let spki = try key.publicKey.spkiDER
        let parts = try XCTUnwrap(DER.elements(try XCTUnwrap(DER.elements(spki)?.first).content))
        func long(_ tag: UInt8, _ content: Data) -> Data { Data([tag, 0x81, UInt8(content.count)]) + content }
        let stretched = long(0x30, long(0x30, parts[0].content) + long(0x03, parts[1].content))
        XCTAssertNotEqual(stretched, spki)
        XCTAssertEqual(EVP_PKEY_up_ref(key.pkey), 1)
        let stretchedKey = try PublicKey(owning: key.pkey, spkiDER: stretched)
        let t = CertificateTemplate(subject: try DistinguishedName(parsing: "CN=k"), publicKey: stretchedKey,
                                    serial: Data([1]), notBefore: Date(), notAfter: Date() + 60, isCA: false, keyUsage: [])
        let built = try CertificateSigner.sign(t, issuer: nil, issuerKey: key)
        XCTAssertEqual(try Certificate(der: built.der).publicKey.spkiDER, spki)
        XCTAssertTrue(built.isSigned(by: built))
        XCTAssertThrowsError(try CertificateTemplate.spkiParts(Data([0x30, 0x03, 0x02, 0x01, 0x00])))
    }

    /// "keyid:always": an issuer with no subjectKeyIdentifier cannot issue.
    func testAnIssuerWithoutASubjectKeyIdentifierIsRefused() throws {
        let key = try PrivateKey.generate(.ecP256)
        let x = try XCTUnwrap(X509_new())
        XCTAssertEqual(X509_set_version(x, 2), 1)
        let t = try template("CN=no SKI", key: key)
        try t.subject.withName { XCTAssertEqual(X509_set_subject_name(x, $0), 1); XCTAssertEqual(X509_set_issuer_name(x, $0), 1) }
        XCTAssertNotNil(ASN1_TIME_set(X509_getm_notBefore(x), 1_790_000_000))
        XCTAssertNotNil(ASN1_TIME_set(X509_getm_notAfter(x), 1_900_000_000))
        XCTAssertEqual(X509_set_pubkey(x, key.pkey), 1)
        XCTAssertGreaterThan(X509_sign(x, key.pkey, EVP_sha256()), 0)
        let issuer = try Certificate(owning: x)
        XCTAssertNil(issuer.subjectKeyIdentifier)
        XCTAssertThrowsError(try CertificateSigner.sign(try template("CN=leaf", key: try PrivateKey.generate(.ecP256)),
                                                       issuer: issuer, issuerKey: key)) { error in
            XCTAssertTrue("\(error)".contains("subjectKeyIdentifier"), "\(error)")
        }
    }
}
