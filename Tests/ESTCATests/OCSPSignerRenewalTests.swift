@testable import ESTCA
import ESTOpenSSL
import Foundation
import XCTest

/// What `serve` does at start and hourly (issue 23): a signer for each CA with a key that has
/// none, a new one past 2/3 of its life, none for a CA that signs directly; and the refusals
/// of `ca ocsp-signer`.
final class OCSPSignerRenewalTests: XCTestCase {
    func signers(_ f: Fixture) throws -> [String: OCSPSignerRecord] {
        Dictionary(uniqueKeysWithValues: try f.store.ocspSigners().map { ($0.ca, $0) })
    }

    func testServeIssuesMissingAndDueSignersOnly() throws {
        let f = try Fixture()
        try f.admin.issueOCSPSigner(ca: "root", direct: true)
        var lines = f.admin.renewOCSPSigners()
        XCTAssertEqual(lines.count, 2, "\(lines)")
        var s = try signers(f)
        XCTAssertTrue(try XCTUnwrap(s["root"]).isDirect, "a CA that signs directly is left alone")
        let first = try XCTUnwrap(s["factory"]?.certificate)
        XCTAssertEqual(first.notAfter.timeIntervalSince(first.notBefore), 30 * 86400, accuracy: 600)
        XCTAssertTrue(f.admin.renewOCSPSigners().isEmpty, "nothing due an hour later")
        // Past 2/3 of 30 days: renewed, with the same key type and nextUpdate setting.
        try f.admin.issueOCSPSigner(ca: "issuing", keyType: .ecP384, validityHours: 6)
        f.clock = f.clock.addingTimeInterval(21 * 86400)
        lines = f.admin.renewOCSPSigners()
        XCTAssertEqual(lines.count, 2, "\(lines)")
        s = try signers(f)
        XCTAssertNotEqual(try XCTUnwrap(s["factory"]?.certificate).der, first.der)
        XCTAssertEqual(s["issuing"]?.certificate?.publicKey.algorithm.keyType, .ecP384)
        XCTAssertEqual(s["issuing"]?.validityHours, 6)
        // The issuing CA lives 50 days: its signer never outlives it.
        f.clock = f.clock.addingTimeInterval(20 * 86400)
        _ = f.admin.renewOCSPSigners()
        let issuing = try XCTUnwrap(f.store.ca(named: "issuing")).certificate
        XCTAssertLessThanOrEqual(try XCTUnwrap(try signers(f)["issuing"]?.certificate).notAfter, issuing.notAfter)
    }

    func testRefusals() throws {
        let f = try Fixture()
        XCTAssertThrowsError(try f.admin.issueOCSPSigner(ca: "nope"))
        XCTAssertThrowsError(try f.admin.issueOCSPSigner(ca: "factory", days: 0))
        XCTAssertThrowsError(try f.admin.issueOCSPSigner(ca: "factory", days: 366))
        XCTAssertThrowsError(try f.admin.issueOCSPSigner(ca: "factory", validityHours: 0))
        XCTAssertThrowsError(try f.admin.issueOCSPSigner(ca: "factory", validityHours: 169))
        let key = try PrivateKey.generate(.ecP256)
        let anchor = try CertificateSigner.sign(CertificateTemplate(subject: try DistinguishedName(parsing: "CN=Anchor"), publicKey: try key.publicKey,
                                                                    serial: try CertificateTemplate.randomSerial(), notBefore: Date() - 60,
                                                                    notAfter: Date() + 86400, isCA: true, keyUsage: [.keyCertSign]),
                                                issuer: nil, issuerKey: key)
        try f.admin.importCA(name: "anchor", certificatePEM: anchor.pem, keyPEM: nil, keyPassphrase: nil, chainPEM: nil)
        XCTAssertThrowsError(try f.admin.issueOCSPSigner(ca: "anchor"), "a trust anchor has no key to certify a signer with")
        XCTAssertTrue(try signers(f).isEmpty)
    }
}
