@testable import ESTCore
import ESTOpenSSL
import Foundation
import XCTest

/// The RFC 7030 rules the core applies without a store, one named case per rule.
final class ProtocolRuleTests: XCTestCase {
    func testProfileLabelSyntax() {
        // §3.2.2 leaves the syntax open; ours is 1-64 of [A-Za-z0-9._-], not an operation name.
        XCTAssertNoThrow(try ProfileLabel.validate("iot-fleet_2.v1"))
        let refused: [(name: String, label: String)] = [
            ("empty", ""), ("an operation", "simpleenroll"), ("another operation", "cacerts"), ("a slash", "a/b"),
            ("non-ASCII", "ü"), ("65 characters", String(repeating: "a", count: 65)), ("dot-dot", ".."), ("dot", "."),
            ("a NUL", "a\u{0}b"), ("a space", "a b"),
        ]
        for c in refused { XCTAssertThrowsError(try ProfileLabel.validate(c.label), c.name) }
        XCTAssertThrowsError(try ProfileLabel.validate("fullcmc")) {
            XCTAssertEqual(($0 as? ESTError)?.reason, "profile label 'fullcmc' is reserved")
        }
    }

    func testReenrollmentNeedsTheSameSubjectAndSubjectAltName() throws {
        let fake = try FakeAuthority()
        let key = try PrivateKey.generate(.ecP256)
        func csr(_ subject: String, _ san: String?) throws -> CertificateSigningRequest {
            try CSRBuilder.make(subject: try DistinguishedName(parsing: subject), key: key,
                                extensions: san.map { [("subjectAltName", $0)] } ?? [])
        }
        let original = try csr("CN=dev,O=Example", "DNS:dev.example")
        let current = try CertificateSigner.sign(CertificateTemplate(
            subject: original.subject, publicKey: original.publicKey, serial: try CertificateTemplate.randomSerial(),
            notBefore: Date(), notAfter: Date() + 3600, isCA: false, keyUsage: [.digitalSignature],
            subjectAltNameDER: original.subjectAltNameDER), issuer: fake.caCert, issuerKey: fake.caKey)
        let cases: [(name: String, csr: CertificateSigningRequest, accepted: Bool)] = [
            ("same subject and SAN, new key", try csr("CN=dev,O=Example", "DNS:dev.example"), true),
            ("another subject", try csr("CN=someone-else,O=Example", "DNS:dev.example"), false),
            ("RDNs in another order", try csr("O=Example,CN=dev", "DNS:dev.example"), false),
            ("another SAN", try csr("CN=dev,O=Example", "DNS:other.example"), false),
            ("an extra SAN", try csr("CN=dev,O=Example", "DNS:dev.example,DNS:b.example"), false),
            ("no SAN", try csr("CN=dev,O=Example", nil), false),
        ]
        for c in cases {
            if c.accepted {
                XCTAssertNoThrow(try ReenrollmentRequest(csr: c.csr, current: current).checkIdentity(), c.name)
            } else {
                XCTAssertThrowsError(try ReenrollmentRequest(csr: c.csr, current: current).checkIdentity(), c.name) {
                    XCTAssertEqual(($0 as? ESTError)?.httpStatus, 400, c.name)
                    XCTAssertTrue(($0 as? ESTError)?.reason.hasSuffix("(RFC 7030 §4.2.2)") == true, c.name)
                }
            }
        }
    }

    static let vectors = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Vectors/csr")

    func testServerKeyGenAttributesFromRealCSRs() throws {
        func request(_ file: String) throws -> ServerKeyGenRequest {
            try ServerKeyGenRequest(parsing: try CertificateSigningRequest(der: Data(contentsOf: Self.vectors.appendingPathComponent(file))))
        }
        // §4.4.1.2, made by python cryptography and by openssl + a re-signing tool.
        XCTAssertEqual(try request("py-asym-decrypt-keyid.der").encryptTo?.hexString, "a0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3")
        XCTAssertEqual(try request("ossl-rsa2048-asym-keyid.der").encryptTo?.hexString, "c0c1c2c3c4c5c6c7c8c9cacbcccdcecfd0d1d2d3")
        XCTAssertNil(try request("ossl-p256-san.der").encryptTo, "no attribute: nothing named")
        // §4.4.1.1 needs shared keys, which are not configured: 400.
        XCTAssertThrowsError(try request("py-decrypt-keyid.der")) {
            XCTAssertEqual(($0 as? ESTError)?.httpStatus, 400)
            XCTAssertTrue(($0 as? ESTError)?.reason.contains("§4.4.1.1") == true)
        }
    }
}

final class ServiceRuleTests: XCTestCase {
    var fake: FakeAuthority!
    var client: Certificate!

    override func setUpWithError() throws {
        fake = try FakeAuthority()
        client = try fake.sign(try CSRBuilder.make(subject: try DistinguishedName(parsing: "CN=device"),
                                                   key: try PrivateKey.generate(.ecP256)))
    }

    func post(_ service: ESTService, _ op: String, subject: String) throws -> ESTOutcome {
        let csr = try CSRBuilder.make(subject: try DistinguishedName(parsing: subject), key: try PrivateKey.generate(.ecP256))
        return service.handle(ESTRequest(params: [
            "REQUEST_METHOD": "POST", "DOCUMENT_URI": "/.well-known/est/\(op)", "CONTENT_TYPE": "application/pkcs10",
            "SSL_CLIENT_CERT": client.pem,
        ], body: csr.der))
    }

    func testAnAnswerThatCannotBeEncodedAfterIssuingSaysSo() throws {
        struct Broken: Error, CustomStringConvertible { var description: String { "encoder broke" } }
        let service = ESTService(authority: fake, encodeCertsOnly: { _ in throw Broken() })
        for op in ["simpleenroll", "serverkeygen"] {
            let out = try post(service, op, subject: "CN=x")
            XCTAssertEqual(out.response.status, 500, op)
            XCTAssertEqual(String(decoding: out.response.body, as: UTF8.self), "internal error\n", op)
            let audit = try XCTUnwrap(fake.audits.last)
            XCTAssertEqual(audit.outcome, .refused, op)
            XCTAssertNotNil(audit.serial, "\(op): the recorded certificate is named")
            XCTAssertEqual(audit.serial, out.serial)
            XCTAssertFalse(audit.reason.hasPrefix("issued CN="), "\(op): not an 'issued' reason beside a 500")
            XCTAssertTrue(audit.reason.contains("could not encode the answer: encoder broke"), audit.reason)
        }
    }
}
