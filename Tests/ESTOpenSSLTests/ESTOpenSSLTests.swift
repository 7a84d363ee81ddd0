import ESTOpenSSL
import Foundation
import XCTest

final class KeyTests: XCTestCase {
    func testEveryKeyTypeGeneratesAndRoundTripsThroughEncryptedPKCS8() throws {
        for type in KeyType.allCases where type != .rsa4096 {  // 4096 is slow and adds nothing
            let key = try PrivateKey.generate(type)
            XCTAssertEqual(key.algorithm.keyType, type)
            let pem = try key.encryptedPKCS8PEM(passphrase: "correct horse")
            XCTAssertTrue(pem.hasPrefix("-----BEGIN ENCRYPTED PRIVATE KEY-----"), "\(type)")
            let back = try PrivateKey(pem: pem, passphrase: "correct horse")
            XCTAssertTrue(back.matches(try key.publicKey), "\(type)")
            XCTAssertThrowsError(try PrivateKey(pem: pem, passphrase: "wrong horse"), "\(type)")
            XCTAssertThrowsError(try PrivateKey(pem: pem), "\(type): encrypted key read without passphrase")
            let der = try key.pkcs8DER()
            XCTAssertTrue(try PrivateKey(der: der).matches(try key.publicKey))
        }
    }

    func testKeysDoNotMatchEachOther() throws {
        let a = try PrivateKey.generate(.ecP256), b = try PrivateKey.generate(.ecP256)
        XCTAssertFalse(a.matches(try b.publicKey))
    }
}

final class NameTests: XCTestCase {
    func testRFC4514RoundTripAndEscapes() throws {
        let dn = try DistinguishedName(parsing: "CN=Device 1,O=Example\\, Inc.,C=DE")
        XCTAssertEqual(dn.string, "CN=Device 1,O=Example\\, Inc.,C=DE")
        XCTAssertEqual(dn.commonName, "Device 1")
        XCTAssertNotEqual(dn, try DistinguishedName(parsing: "CN=Device 2,O=Example\\, Inc.,C=DE"))
    }

    func testBadNamesAreRefused() {
        XCTAssertThrowsError(try DistinguishedName(parsing: "CN"))
        XCTAssertThrowsError(try DistinguishedName(parsing: "NOSUCHATTR=x"))
        XCTAssertThrowsError(try DistinguishedName(parsing: "CN="))
    }
}

/// A root, an intermediate and a leaf built with this layer alone.
struct TestPKI {
    let rootKey: PrivateKey, root: Certificate
    let subKey: PrivateKey, sub: Certificate

    init(now: Date = Date()) throws {
        rootKey = try PrivateKey.generate(.ecP384)
        root = try CertificateSigner.sign(CertificateTemplate(
            subject: try DistinguishedName(parsing: "CN=Test Root"), publicKey: try rootKey.publicKey,
            serial: try CertificateTemplate.randomSerial(), notBefore: now - 60, notAfter: now + 86400 * 10,
            isCA: true, keyUsage: [.keyCertSign, .cRLSign]), issuer: nil, issuerKey: rootKey)
        subKey = try PrivateKey.generate(.ecP256)
        sub = try CertificateSigner.sign(CertificateTemplate(
            subject: try DistinguishedName(parsing: "CN=Test Sub"), publicKey: try subKey.publicKey,
            serial: try CertificateTemplate.randomSerial(), notBefore: now - 60, notAfter: now + 86400 * 5,
            isCA: true, pathLength: 0, keyUsage: [.keyCertSign]), issuer: root, issuerKey: rootKey)
    }

    func leaf(_ key: PrivateKey, cn: String = "leaf", days: Double = 1, san: Data? = nil) throws -> Certificate {
        try CertificateSigner.sign(CertificateTemplate(
            subject: try DistinguishedName(parsing: "CN=\(cn)"), publicKey: try key.publicKey,
            serial: try CertificateTemplate.randomSerial(), notBefore: Date() - 60, notAfter: Date() + 86400 * days,
            isCA: false, keyUsage: [.digitalSignature], extendedKeyUsage: [.clientAuth], subjectAltNameDER: san),
            issuer: sub, issuerKey: subKey)
    }
}

final class CertificateTests: XCTestCase {
    func testBuiltCertificatesCarryTheirFieldsAndChain() throws {
        let pki = try TestPKI()
        XCTAssertTrue(pki.root.isCA)
        XCTAssertTrue(pki.root.isSelfIssued)
        XCTAssertEqual(pki.sub.pathLength, 0)
        XCTAssertEqual(pki.sub.authorityKeyIdentifier, pki.root.subjectKeyIdentifier)
        XCTAssertEqual(pki.root.subjectKeyIdentifier, try pki.rootKey.publicKey.keyIdentifier)
        XCTAssertTrue(pki.sub.isSigned(by: pki.root))
        XCTAssertFalse(pki.root.isSigned(by: pki.sub))

        let csr = try CSRBuilder.make(subject: try DistinguishedName(parsing: "CN=x"), key: try PrivateKey.generate(.ecP256),
                                      extensions: [("subjectAltName", "DNS:x.example,IP:192.0.2.1")])
        let leaf = try pki.leaf(try PrivateKey.generate(.ed25519), san: csr.subjectAltNameDER)
        XCTAssertFalse(leaf.isCA)
        XCTAssertEqual(leaf.subjectAltNameText, "DNS:x.example, IP Address:192.0.2.1")
        XCTAssertEqual(leaf.subjectAltNameDER, csr.subjectAltNameDER)
        XCTAssertEqual(try Certificate(pem: leaf.pem).der, leaf.der)
        XCTAssertEqual(leaf.fingerprint.count, 32)
        XCTAssertThrowsError(try Certificate(der: leaf.der + Data([0])), "trailing bytes refused")
    }

    func testChainVerification() throws {
        let pki = try TestPKI()
        let leaf = try pki.leaf(try PrivateKey.generate(.ecP256))
        XCTAssertEqual(ChainVerifier(anchors: [pki.root], intermediates: [pki.sub]).verify(leaf), .trusted)
        XCTAssertEqual(ChainVerifier(anchors: [pki.sub]).verify(leaf), .trusted, "an intermediate may be the anchor")
        if case .trusted = ChainVerifier(anchors: [pki.root]).verify(leaf) { XCTFail("missing intermediate must fail") }
        let other = try TestPKI()
        if case .trusted = ChainVerifier(anchors: [other.root], intermediates: [pki.sub]).verify(leaf) { XCTFail("wrong anchor") }
        if case .trusted = ChainVerifier(anchors: [pki.root], intermediates: [pki.sub]).verify(leaf, at: Date() + 86400 * 3) {
            XCTFail("expired leaf must fail")
        }
        if case .trusted = ChainVerifier(anchors: []).verify(leaf) { XCTFail("no anchors") }
    }

    func testPKCS7CertsOnlyRoundTrip() throws {
        let pki = try TestPKI()
        let der = try PKCS7CertsOnly.encode([pki.sub, pki.root])
        // The SET is written in DER order, not in the order given (DEROrderTests).
        XCTAssertEqual(Set(try PKCS7CertsOnly.decode(der).map(\.der)), [pki.sub.der, pki.root.der])
        XCTAssertEqual(try PKCS7CertsOnly.decode(Data(der.base64Wrapped().utf8)).count, 2)
    }
}

final class CSRTests: XCTestCase {
    func testEncodingsAndSignature() throws {
        let key = try PrivateKey.generate(.rsa2048)
        let csr = try CSRBuilder.make(subject: try DistinguishedName(parsing: "CN=dev,O=Example"), key: key,
                                      extensions: [("basicConstraints", "critical,CA:TRUE")])
        XCTAssertTrue(csr.signatureIsValid)
        let der = csr.der
        for body in [der, Data(csr.pem.utf8), Data(der.base64EncodedString().utf8), Data(der.base64Wrapped().utf8),
                     Data(der.base64Wrapped().replacingOccurrences(of: "\n", with: "\r\n").utf8)] {
            let parsed = try CertificateSigningRequest(anyEncoding: body)
            XCTAssertEqual(parsed.der, der)
            XCTAssertEqual(parsed.subject, csr.subject)
        }
        XCTAssertEqual(csr.requestedExtensions.map(\.oid), [.basicConstraints])
        XCTAssertThrowsError(try CertificateSigningRequest(anyEncoding: Data("not base64 at all!".utf8)))
        XCTAssertThrowsError(try CertificateSigningRequest(anyEncoding: Data()))

        var tampered = [UInt8](der)
        tampered[tampered.count - 4] ^= 0x01
        XCTAssertFalse(try CertificateSigningRequest(der: Data(tampered)).signatureIsValid)
    }
}
