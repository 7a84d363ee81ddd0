import ESTCA
import ESTCore
import ESTOpenSSL
import Foundation
import XCTest

/// The OCSP store operations (signers, issue 23) and the responder over them, the same on
/// both engines: a signer saved by one host is the one every host signs with next, a
/// revocation by the CLI is in the very next answer of another host (its signed-response
/// cache included), and answering writes nothing.
enum OCSPContract {
    /// A DER OCSPRequest (RFC 6960 §4.1.1) without a nonce, one SHA-1 CertID per serial.
    static func request(issuer: Certificate, serials: [String]) throws -> OCSPRequest {
        let hash = try OCSPIssuerHash(of: issuer, algorithm: .sha1)
        let ids = serials.map { hex -> Data in
            var bytes = Data(hexString: hex.count % 2 == 0 ? hex : "0" + hex)!
            if bytes.first! & 0x80 != 0 { bytes.insert(0, at: 0) }
            return DER.sequence([
                DER.sequence([DER.tlv(0x06, Data([0x2b, 0x0e, 0x03, 0x02, 0x1a])), Data([0x05, 0x00])]),
                DER.tlv(0x04, hash.nameHash), DER.tlv(0x04, hash.keyHash), DER.tlv(0x02, bytes),
            ])
        }
        return try OCSPRequest(der: DER.sequence([DER.sequence([DER.sequence(ids.map { DER.sequence([$0]) })])]))
    }

    static func signersAndAnswersAcrossHosts(_ f: StoreFactory) throws {
        let boot = try Certificate(pem: try StoreContract.setUp(f))
        let cli = try f.makeStore()
        let keyring = CAKeyring(passphrase: StoreContract.passphrase)
        let admin = CAAdministration(CertificateAuthority(store: cli, keyring: keyring))
        let hostA = CertificateAuthority(store: try f.pool()(), keyring: keyring)
        let hostB = CertificateAuthority(store: try f.pool()(), keyring: CAKeyring(passphrase: StoreContract.passphrase))
        let factory = try XCTUnwrap(cli.ca(named: "factory")).certificate
        let ask = try request(issuer: factory, serials: [boot.serialHex])

        // No signer yet: tryLater, with the command to run in the reason.
        var answer = try hostB.ocsp(ask)
        XCTAssertEqual(answer.status, "tryLater")
        XCTAssertTrue(answer.summary.contains("estfcgi ca ocsp-signer --name factory"), answer.summary)

        let version = try cli.materialVersion()
        let first = try admin.issueOCSPSigner(ca: "factory", validityHours: 5)
        XCTAssertGreaterThan(try cli.materialVersion(), version, "a signer is material: responders rebuild")
        let stored = try XCTUnwrap(cli.ocspSigners().first { $0.ca == "factory" })
        XCTAssertEqual(stored.certificate?.der, first.certificate?.der)
        XCTAssertEqual(stored.validityHours, 5)
        XCTAssertEqual(stored.keyProtection, PrivateKey.keyProtection)
        XCTAssertFalse(try XCTUnwrap(stored.encryptedKeyPEM).contains("BEGIN PRIVATE KEY"), "the key is stored encrypted")
        XCTAssertThrowsError(try cli.saveOCSPSigner(try OCSPSignerRecord(ca: "nope", certificateDER: nil, encryptedKeyPEM: nil, keyProtection: nil,
                                                                         validityHours: 1, createdAt: "x"), audit: .admin("ocsp-signer"), now: Date()))

        // Only the operator's changes write: answers leave no row (RFC 6960 responders may be asked by anyone).
        func answerAudits() throws -> Int {
            try cli.auditRecords(limit: 100_000).filter { $0.event.operation == "ocsp" || $0.event.status != nil }.count
        }
        let audits = try answerAudits()
        answer = try hostB.ocsp(ask)
        XCTAssertEqual(answer.status, "successful")
        XCTAssertTrue(answer.summary.contains("good \(boot.serialHex)"), answer.summary)
        XCTAssertNotNil(answer.der.range(of: try XCTUnwrap(first.certificate).der), "signed by the delegated responder, sent along")
        let until = try XCTUnwrap(answer.cacheableUntil)
        XCTAssertEqual(until.timeIntervalSince(try XCTUnwrap(answer.cacheableFrom)), 5 * 3600, accuracy: 1)
        XCTAssertEqual(try hostB.ocsp(ask).der, answer.der, "re-used while its status holds")

        // Revoked by the CLI: host B's next answer says so, cache or not.
        let record = try XCTUnwrap(cli.issuedCertificates(serial: boot.serialHex).first)
        _ = try cli.revoke(record, reason: .keyCompromise, audit: .admin("revoke"), now: Date())
        answer = try hostB.ocsp(ask)
        XCTAssertTrue(answer.summary.contains("revoked \(boot.serialHex) (reason 1)"), answer.summary)

        // Rotated on host A's store: host B signs with the new one next.
        let second = try admin.issueOCSPSigner(ca: "factory")
        XCTAssertEqual(second.validityHours, 5, "kept from before")
        answer = try hostB.ocsp(ask)
        XCTAssertNotNil(answer.der.range(of: try XCTUnwrap(second.certificate).der))
        _ = try hostA.ocsp(ask)

        // Unknown serial, a CA not in the store, two CAs in one request.
        XCTAssertTrue(try hostB.ocsp(try request(issuer: factory, serials: ["123456"])).summary.contains("unknown 123456"))
        let rogueKey = try PrivateKey.generate(.ecP256)
        let rogue = try CertificateSigner.sign(CertificateTemplate(subject: try DistinguishedName(parsing: "CN=Rogue"), publicKey: try rogueKey.publicKey,
                                                                   serial: try CertificateTemplate.randomSerial(), notBefore: Date() - 60,
                                                                   notAfter: Date() + 3600, isCA: true, keyUsage: [.keyCertSign]),
                                               issuer: nil, issuerKey: rogueKey)
        XCTAssertEqual(try hostB.ocsp(try request(issuer: rogue, serials: ["1"])).status, "unauthorized")
        try admin.issueOCSPSigner(ca: "root")
        let root = try XCTUnwrap(cli.ca(named: "root")).certificate
        let two = try OCSPRequest(der: DER.sequence([DER.sequence([DER.sequence(
            try [request(issuer: factory, serials: ["1"]), request(issuer: root, serials: ["2"])].map { DER.sequence([$0.certIDs[0].der]) })])]))
        XCTAssertEqual(try hostB.ocsp(two).status, "unauthorized", "one CA per request")

        // --direct: the CA signs; no delegated certificate in the answer.
        try admin.issueOCSPSigner(ca: "factory", direct: true)
        answer = try hostB.ocsp(ask)
        XCTAssertEqual(answer.status, "successful")
        XCTAssertNil(answer.der.range(of: try XCTUnwrap(second.certificate).der))

        // A new key for the CA (ca renew): what the old key certified is answered by the old
        // key itself; the delegated signer the old key certified is refused for the new one
        // (tryLater) until serve's check (or the operator) issues a new one.
        try admin.issueOCSPSigner(ca: "factory")
        _ = try admin.rollover(name: "factory", keyType: nil, days: nil)
        answer = try hostB.ocsp(ask)
        XCTAssertEqual(answer.status, "successful", answer.summary)
        XCTAssertTrue(answer.summary.contains("(earlier key)") && answer.summary.contains("revoked \(boot.serialHex)"), answer.summary)
        let renewed = try XCTUnwrap(cli.ca(named: "factory")).certificate
        let newBoot = try Certificate(pem: try StoreContract.bootstrap(CertificateAuthority(store: cli, keyring: keyring), cn: "boot-2"))
        let askNew = try request(issuer: renewed, serials: [newBoot.serialHex])
        answer = try hostB.ocsp(askNew)
        XCTAssertEqual(answer.status, "tryLater")
        XCTAssertTrue(answer.summary.contains("certified by an earlier key"), answer.summary)
        XCTAssertEqual(admin.renewOCSPSigners().filter { $0.contains("CA 'factory'") }.count, 1, "serve's check replaces it")
        answer = try hostB.ocsp(askNew)
        XCTAssertTrue(answer.summary.contains("good \(newBoot.serialHex)"), answer.summary)
        XCTAssertTrue(try hostB.ocsp(ask).summary.contains("(earlier key)"), "the old key still answers for its certificates")

        XCTAssertEqual(try answerAudits(), audits, "answering writes no audit row")
        XCTAssertEqual(try cli.auditRecords(limit: 100_000).filter { $0.event.operation == "ocsp-signer" }.count, 7, "each signer change audited (issuing's too, by the check)")
        XCTAssertEqual(f.closePools(), 0)
    }
}
