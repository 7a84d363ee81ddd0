import ESTCA
import ESTCore
import ESTOpenSSL
import Foundation
import XCTest

/// RFC 7030 §4.2.2 with names compared as RFC 5280 §7.1 does; the renewal carries the
/// renewed certificate's subject and subjectAltName bytes, and policy still applies to them.
final class RenewalIdentityTests: XCTestCase {
    /// "CN=<cn>,O=<o>" with both values in the string type `tag`.
    static func subject(_ cn: String, _ o: String, tag: UInt8) throws -> DistinguishedName {
        try DistinguishedName(der: DER.sequence([
            DER.set([DER.sequence([OID("2.5.4.3")!.der, DER.tlv(tag, Data(cn.utf8))])]),
            DER.set([DER.sequence([OID("2.5.4.10")!.der, DER.tlv(tag, Data(o.utf8))])]),
        ]))
    }

    func csr(_ subject: DistinguishedName, san: String) throws -> CertificateSigningRequest {
        try CSRBuilder.make(subject: subject, key: try PrivateKey.generate(.ecP256), extensions: [("subjectAltName", san)])
    }

    func testTheSameNameInAnotherStringTypeRenewsWithTheOldBytes() throws {
        let f = try Fixture()
        let utf8 = try Self.subject("dev-7", "Example Devices", tag: 0x0c)
        let dev = try f.ca.enroll(csr: try csr(utf8, san: "DNS:dev-7.example"), profile: nil, client: try f.bootstrap())
        XCTAssertEqual(dev.subject.der, utf8.der)

        // Go's x509 writes PrintableString; this device also shouts its organisation and host.
        let printable = try Self.subject("dev-7", "EXAMPLE  devices", tag: 0x13)
        let request = try csr(printable, san: "DNS:DEV-7.Example")
        XCTAssertNotEqual(request.subject.der, dev.subject.der)
        XCTAssertNotEqual(request.subjectAltNameDER, dev.subjectAltNameDER)
        let renewed = try f.ca.reenroll(ReenrollmentRequest(csr: request, current: dev), profile: nil)
        XCTAssertEqual(renewed.subject.der, dev.subject.der, "the subject bytes of the certificate renewed")
        XCTAssertEqual(renewed.subjectAltNameDER, dev.subjectAltNameDER, "the subjectAltName bytes of the certificate renewed")
        XCTAssertTrue(renewed.publicKey.spkiDER == request.publicKey.spkiDER, "the CSR's key")

        // And the other way round: issued PrintableString, renewed from a UTF8String CSR.
        let dev2 = try f.ca.enroll(csr: try csr(try Self.subject("dev-8", "Example", tag: 0x13), san: "DNS:dev-8.example"),
                                   profile: nil, client: try f.bootstrap())
        let renewed2 = try f.ca.reenroll(ReenrollmentRequest(csr: try csr(try Self.subject("dev-8", "Example", tag: 0x0c),
                                                                          san: "DNS:dev-8.example"), current: dev2), profile: nil)
        XCTAssertEqual(renewed2.subject.der, dev2.subject.der)
    }

    func testAnotherNameIsStillRefused() throws {
        let f = try Fixture()
        let dev = try f.ca.enroll(csr: try csr(try Self.subject("dev-9", "Example", tag: 0x0c), san: "DNS:dev-9.example"),
                                  profile: nil, client: try f.bootstrap())
        for (why, subject, san) in [
            ("another CN", try Self.subject("dev-90", "Example", tag: 0x13), "DNS:dev-9.example"),
            ("another O", try Self.subject("dev-9", "Example Inc", tag: 0x0c), "DNS:dev-9.example"),
            ("another dNSName", try Self.subject("dev-9", "Example", tag: 0x0c), "DNS:dev-90.example"),
        ] {
            XCTAssertThrowsError(try f.ca.reenroll(ReenrollmentRequest(csr: try csr(subject, san: san), current: dev), profile: nil), why) {
                XCTAssertEqual(($0 as? ESTStatusError)?.httpStatus, 400, why)
            }
        }
    }

    /// What is issued is the old identity, so the profile's rules as they stand now are
    /// checked on it: a pattern tightened since the first enrollment refuses the renewal.
    func testPolicyIsCheckedOnTheIdentityIssued() throws {
        let f = try Fixture()
        let dev = try f.ca.enroll(csr: try csr(try Self.subject("dev-10", "Example", tag: 0x0c), san: "DNS:dev-10.example"),
                                  profile: nil, client: try f.bootstrap())
        var p = try f.ca.requireProfile(nil)
        p.identity.dnsPattern = "[a-z0-9-]+\\.example"
        try f.admin.saveProfile(p, replace: true)
        let shouting = try csr(try Self.subject("dev-10", "Example", tag: 0x13), san: "DNS:DEV-10.EXAMPLE")
        XCTAssertNoThrow(try f.ca.reenroll(ReenrollmentRequest(csr: shouting, current: dev), profile: nil),
                         "the pattern is checked on the issued dev-10.example, not the CSR's spelling")
        p.identity.cnPattern = "device-[0-9]+"
        try f.admin.saveProfile(p, replace: true)
        let before = try f.issuedCount()
        let again = try csr(try Self.subject("dev-10", "Example", tag: 0x0c), san: "DNS:dev-10.example")
        let renewed = try XCTUnwrap(try f.store.issuedCertificates(matching: CertificateFilter(profile: .defaultProfile), now: f.clock)
            .first { $0.replacesSerial == dev.serialHex })
        XCTAssertThrowsError(try f.ca.reenroll(ReenrollmentRequest(csr: again, current: try Certificate(der: renewed.der)), profile: nil)) {
            XCTAssertEqual(($0 as? CAError)?.reason, "CSR commonName does not match this profile's pattern")
        }
        XCTAssertEqual(try f.issuedCount(), before, "nothing issued")
    }
}
