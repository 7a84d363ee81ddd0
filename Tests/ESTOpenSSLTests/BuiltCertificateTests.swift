@testable import ESTOpenSSL
import Foundation
import XCTest

/// A certificate just signed takes every field from its template and issuer, not from its
/// DER: each must be what reading the DER gives.
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
                let what = "\(text), \(issuer == nil ? "self-signed" : "by the sub CA")"
                try assertBuiltFieldsAreParsed(built, what)
                XCTAssertEqual(built.issuer.der, (issuer?.subject ?? t.subject).der, what)
                XCTAssertTrue(built.isSigned(by: issuer ?? built), what)
            }
        }
    }
}

/// Every field a certificate built here took from its template is what parsing its DER gives.
func assertBuiltFieldsAreParsed(_ built: Certificate, _ what: String, file: StaticString = #filePath, line: UInt = #line) throws {
    let parsed = try Certificate(der: built.der)
    for (a, b) in [(built.subject, parsed.subject), (built.issuer, parsed.issuer)] {
        XCTAssertEqual(a.der, b.der, what, file: file, line: line)
        XCTAssertEqual(a.string, b.string, what, file: file, line: line)
        XCTAssertEqual(a.attributeOIDs, b.attributeOIDs, what, file: file, line: line)
        XCTAssertEqual(a.attributeValues, b.attributeValues, what, file: file, line: line)
    }
    XCTAssertEqual(built.serialHex, parsed.serialHex, what, file: file, line: line)
    XCTAssertEqual(built.notBefore, parsed.notBefore, what, file: file, line: line)
    XCTAssertEqual(built.notAfter, parsed.notAfter, what, file: file, line: line)
    XCTAssertEqual(built.publicKey.spkiDER, parsed.publicKey.spkiDER, what, file: file, line: line)
    XCTAssertEqual(built.isCA, parsed.isCA, what, file: file, line: line)
    XCTAssertEqual(built.pathLength, parsed.pathLength, what, file: file, line: line)
    XCTAssertEqual(built.keyUsage, parsed.keyUsage, what, file: file, line: line)
    XCTAssertEqual(built.allowsClientAuth, parsed.allowsClientAuth, what, file: file, line: line)
    XCTAssertEqual(built.subjectKeyIdentifier, parsed.subjectKeyIdentifier, what, file: file, line: line)
    XCTAssertEqual(built.authorityKeyIdentifier, parsed.authorityKeyIdentifier, what, file: file, line: line)
    XCTAssertEqual(built.fingerprint, parsed.fingerprint, what, file: file, line: line)
    XCTAssertEqual(built.subjectAltNameDER, parsed.subjectAltNameDER, what, file: file, line: line)
    XCTAssertEqual(built.subjectAltNameText, parsed.subjectAltNameText, what, file: file, line: line)
}
