import ESTCA
import ESTCore
import ESTOpenSSL
import ESTSQLiteStore
import Foundation
import XCTest

final class SQLiteCAStoreTests: XCTestCase {
    var dir: URL!
    var store: SQLiteCAStore!
    var issuer: CARecord!
    var issuerKey: PrivateKey!

    override func setUpWithError() throws {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("estfcgi-store-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        store = try SQLiteCAStore(path: dir.appendingPathComponent("ca.db").path, create: true)
        let admin = CAAdministration(CertificateAuthority(store: store, keyring: CAKeyring(passphrase: "store test passphrase")))
        issuer = try admin.createCA(name: "root", subject: "CN=Root", keyType: .ecP256, days: 10, issuer: nil, pathLength: nil)
        issuerKey = try CAKeyring(passphrase: "store test passphrase").signingKey(for: issuer)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: dir) }

    func leaf(serial: Data) throws -> Certificate {
        try CertificateSigner.sign(CertificateTemplate(
            subject: try DistinguishedName(parsing: "CN=leaf"), publicKey: try PrivateKey.generate(.ecP256).publicKey,
            serial: serial, notBefore: Date(), notAfter: Date() + 3600, isCA: false, keyUsage: [.digitalSignature]),
            issuer: issuer.certificate, issuerKey: issuerKey)
    }

    func testOnlyASerialTakenByTheSameIssuerIsACollision() throws {
        let serial = try CertificateTemplate.randomSerial()
        let first = try leaf(serial: serial)
        _ = try store.recordIssued(NewCertificate(first, issuer: issuer, profile: nil, requester: nil), conditions: IssuanceConditions(), audit: nil, now: Date())
        // Same serial, another certificate: retry with a fresh serial.
        XCTAssertThrowsError(try store.recordIssued(NewCertificate(try leaf(serial: serial), issuer: issuer, profile: nil, requester: nil),
                                                    conditions: IssuanceConditions(), audit: nil, now: Date())) {
            XCTAssertTrue($0 is SerialCollision, "\($0)")
        }
        // Any other constraint (here: an issuer that is not in the store) is a failure to
        // report, not a serial to retry.
        let stranger = try CARecord(id: 999, name: "stranger", certificateDER: issuer.certificate.der, chainPEM: "",
                                    encryptedKeyPEM: nil, status: .active, createdAt: "")
        XCTAssertThrowsError(try store.recordIssued(NewCertificate(try leaf(serial: try CertificateTemplate.randomSerial()),
                                                                   issuer: stranger, profile: nil, requester: nil),
                                                    conditions: IssuanceConditions(), audit: nil, now: Date())) {
            guard case .internalFailure(let why) = ($0 as? StoreError).map(CAError.init) else { return XCTFail("\($0)") }
            XCTAssertTrue(why.contains("FOREIGN KEY"), why)
        }
    }

    func testTimeComesFromTheCaller() throws {
        let then = Date(timeIntervalSince1970: 2_000_000_000)  // 2033-05-18T03:33:20Z
        let record = try store.recordIssued(NewCertificate(try leaf(serial: try CertificateTemplate.randomSerial()), issuer: issuer,
                                                           profile: nil, requester: nil),
                                            conditions: IssuanceConditions(), audit: nil, now: then)
        XCTAssertEqual(record.issuedAt, "2033-05-18T03:33:20Z")
        try store.recordAudit(.admin("test"), now: then)
        XCTAssertEqual(try store.auditRecords(limit: 1).first?.time, "2033-05-18T03:33:20Z")
        let revoked = try store.revoke(record, reason: .keyCompromise, audit: .admin("revoke"), now: then + 60)
        XCTAssertEqual(revoked.count, 1)
        XCTAssertEqual(revoked.first?.revokedAt, "2033-05-18T03:34:20Z")
        XCTAssertThrowsError(try store.revoke(record, reason: .keyCompromise, audit: .admin("revoke"), now: then)) {
            XCTAssertEqual(($0 as? StoreError).map(CAError.init), .badRequest("certificate \(record.serial) is already revoked"))
        }
    }

    func testProfileCARowsFollowTheProfile() throws {
        var p = Profile(label: "lab", issuer: "root")
        p.trust = ["root"]
        p.cacerts = ["root"]
        try store.saveProfile(p, replace: false, audit: .admin("profile-create"), now: Date())
        XCTAssertEqual(try store.profile(label: "lab")?.trust, ["root"])
        p.trust = ["nosuch"]
        XCTAssertThrowsError(try store.saveProfile(p, replace: true, audit: .admin("profile-update"), now: Date())) {
            XCTAssertEqual(($0 as? StoreError).map(CAError.init), .notFound("no CA named 'nosuch'"))
        }
        XCTAssertEqual(try store.profile(label: "lab")?.trust, ["root"], "a refused update changes nothing")
        try store.deleteProfile(label: "lab", audit: .admin("profile-delete"), now: Date())
        XCTAssertNil(try store.profile(label: "lab"))
    }
}
