@testable import ESTOpenSSL
import Foundation
import XCTest

/// A certificate just signed is read from what it was built with where that is exact (its
/// key, its names): every field must be what reading its DER gives.
final class BuiltCertificateTests: XCTestCase {
    func testBuiltFieldsAreTheParsedOnes() throws {
        let pki = try TestPKI()
        let subjects = ["CN=leaf", "CN=Gerät Ω,O=Example\\, Inc.,C=DE", "serialNumber=1234,CN=x,OU=a,OU=b"]
        for (i, text) in subjects.enumerated() {
            let key = try PrivateKey.generate(.ecP256)
            var t = CertificateTemplate(subject: try DistinguishedName(parsing: text), publicKey: try key.publicKey,
                                        serial: try CertificateTemplate.randomSerial(), notBefore: Date() - 60,
                                        notAfter: Date() + 86400, isCA: i == 2, keyUsage: [.digitalSignature])
            t.subjectAltNameDER = Data([0x30, 0x0b, 0x82, 0x09]) + Data("a.example".utf8)
            for (issuer, issuerKey) in [(Optional(pki.sub), pki.subKey), (nil, key)] {
                let built = try CertificateSigner.sign(t, issuer: issuer, issuerKey: issuerKey)
                let parsed = try Certificate(der: built.der)
                let what = "\(text), \(issuer == nil ? "self-signed" : "by the sub CA")"
                for (a, b) in [(built.subject, parsed.subject), (built.issuer, parsed.issuer)] {
                    XCTAssertEqual(a.der, b.der, what)
                    XCTAssertEqual(a.string, b.string, what)
                    XCTAssertEqual(a.attributeOIDs, b.attributeOIDs, what)
                    XCTAssertEqual(a.attributeValues, b.attributeValues, what)
                }
                XCTAssertEqual(built.issuer.der, (issuer?.subject ?? t.subject).der, what)
                XCTAssertEqual(built.serialHex, parsed.serialHex, what)
                XCTAssertEqual(built.notBefore, parsed.notBefore, what)
                XCTAssertEqual(built.notAfter, parsed.notAfter, what)
                XCTAssertEqual(built.publicKey.spkiDER, parsed.publicKey.spkiDER, what)
                XCTAssertEqual(built.isCA, parsed.isCA, what)
                XCTAssertEqual(built.pathLength, parsed.pathLength, what)
                XCTAssertEqual(built.keyUsage, parsed.keyUsage, what)
                XCTAssertEqual(built.allowsClientAuth, parsed.allowsClientAuth, what)
                XCTAssertEqual(built.subjectKeyIdentifier, parsed.subjectKeyIdentifier, what)
                XCTAssertEqual(built.authorityKeyIdentifier, parsed.authorityKeyIdentifier, what)
                XCTAssertEqual(built.fingerprint, parsed.fingerprint, what)
                XCTAssertEqual(built.subjectAltNameDER, parsed.subjectAltNameDER, what)
                XCTAssertEqual(built.subjectAltNameText, parsed.subjectAltNameText, what)
                XCTAssertTrue(built.isSigned(by: issuer ?? built), what)
            }
        }
    }
}
