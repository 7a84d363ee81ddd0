import ESTCA
import ESTCore
import ESTOpenSSL
import ESTSQLiteStore
import Foundation
import XCTest

/// A store written by the release before this layout (schema version 2, commit c29d8b2;
/// see Tests/Fixtures/store-v2/README.md) opens, migrates, and keeps every row and
/// behaviour. The CLI's outputs are compared in Tests/integration/legacy.sh.
final class LegacyStoreTests: XCTestCase {
    static let fixture = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/store-v2")
    var dir: URL!
    var store: SQLiteCAStore!
    var authority: CertificateAuthority!

    override func setUpWithError() throws {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("estfcgi-legacy-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let copy = dir.appendingPathComponent("ca.db")
        try FileManager.default.copyItem(at: Self.fixture.appendingPathComponent("ca.db"), to: copy)
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: copy.path)  // git keeps 0644
        store = try SQLiteCAStore(path: copy.path)
        authority = CertificateAuthority(store: store, keyring: CAKeyring(passphrase: "fixture-passphrase-0001"))
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: dir) }

    func fixtureFile(_ name: String) throws -> Data { try Data(contentsOf: Self.fixture.appendingPathComponent(name)) }

    func testEveryRowSurvivesTheMigration() throws {
        XCTAssertEqual(try store.schemaVersion, store.migrator.latestVersion)
        XCTAssertEqual(try store.allCAs().count, 7)
        XCTAssertEqual(try store.allCAs().filter(\.hasKey).map(\.name), ["root", "issuing", "rsaroot", "vendor"])
        XCTAssertEqual(try store.allCAs().filter { !$0.chain.isEmpty }.map(\.name), ["issuing", "partner", "side"])
        let all = try store.issuedCertificates(matching: CertificateFilter(), now: Date())
        XCTAssertEqual(all.count, 17)
        XCTAssertEqual(all.filter { $0.status == .revoked }.count, 4)
        XCTAssertEqual(all.compactMap(\.revocationReason).map(\.rawValue).sorted(),
                       ["keyCompromise", "superseded", "superseded", "unspecified"])
        XCTAssertEqual(all.filter { $0.replacesSerial != nil }.count, 2)
        XCTAssertEqual(try store.auditRecords(limit: 1000).count, 50)

        // Trust and cacerts became rows, in the order they were given, for every profile.
        struct StoredProfile: Decodable { let label: String?; let trust: [String]; let cacerts: [String] }
        let expected = try JSONDecoder().decode([StoredProfile].self, from: try fixtureFile("expected/profile-list.json"))
        let profiles = try store.allProfiles()
        XCTAssertEqual(profiles.map(\.label), expected.map(\.label))
        for (p, e) in zip(profiles, expected) {
            XCTAssertEqual(p.trust, e.trust, p.displayName)
            XCTAssertEqual(p.cacerts, e.cacerts, p.displayName)
        }
        let iot = try XCTUnwrap(store.profile(label: "iot"))
        XCTAssertEqual(iot.eku, [.clientAuth, .serverAuth, .custom(OID("1.3.6.1.5.5.7.3.17")!)])
        XCTAssertEqual(iot.keyTypes, [.ec, .exact(.rsa3072)])
        XCTAssertEqual(iot.serverKeygen, .ecP256)
        // Schemas 6 and 7 leave every old profile as it behaved: certificates, no registry, no approval.
        for p in profiles {
            XCTAssertEqual(p.auth, .certificate, p.displayName)
            XCTAssertEqual(p.registration, .off, p.displayName)
            XCTAssertEqual(p.approval, .auto, p.displayName)
            XCTAssertNil(p.crlURL, p.displayName)
        }
    }

    /// The body of a CGI answer the old responder gave (headers, blank line, body).
    func expectedBody(_ name: String) throws -> (status: Int, body: Data) {
        let raw = [UInt8](try fixtureFile("expected/\(name)"))
        let status = Int(String(decoding: raw.dropFirst(8).prefix(3), as: UTF8.self)) ?? 0
        let separator: [UInt8] = [13, 10, 13, 10]
        guard let i = (0...(raw.count - 4)).first(where: { Array(raw[$0..<($0 + 4)]) == separator }) else {
            return (status, Data())
        }
        return (status, Data(raw[(i + 4)...]))
    }

    func testEveryESTAnswerIsTheSame() throws {
        let service = ESTService(authority: authority)
        let cases = [("est-csrattrs-iot.txt", "iot/csrattrs"), ("est-csrattrs-keygen.txt", "keygen/csrattrs"),
                     ("est-csrattrs-plain.txt", "plain/csrattrs"), ("est-cacerts-iot.txt", "iot/cacerts"),
                     ("est-cacerts-keygen.txt", "keygen/cacerts"), ("est-cacerts-device.txt", "device/cacerts"),
                     ("est-cacerts-default.txt", "cacerts")]
        for (file, path) in cases {
            let expected = try expectedBody(file)
            let out = service.handle(ESTRequest(params: ["REQUEST_METHOD": "GET", "DOCUMENT_URI": "/.well-known/est/\(path)"]))
            XCTAssertEqual(out.response.status, expected.status, file)
            XCTAssertEqual(out.response.body, expected.body, file)
        }
    }

    func testAFixtureCertificateReenrollsAndARevokedOneDoesNot() throws {
        let device = try Certificate(pem: String(decoding: try fixtureFile("device.pem"), as: UTF8.self))
        let csr = try CSRBuilder.make(subject: device.subject, key: try PrivateKey.generate(.ecP256),
                                      extensions: [("subjectAltName", "DNS:device-42.example")])
        XCTAssertEqual(csr.subjectAltNameDER, device.subjectAltNameDER)
        let event = AuditEvent(operation: "simplereenroll", profile: "device", client: device.subject.string, status: 200,
                               outcome: .ok, reason: "issued \(csr.subject)")
        let renewed = try authority.reenroll(ReenrollmentRequest(csr: csr, current: device), profile: "device", audit: event)
        let record = try XCTUnwrap(store.issuedCertificate(fingerprint: renewed.fingerprint.hexString))
        XCTAssertEqual(record.replacesSerial, "6b18e7fb30be98a9b658eec35feea50")
        XCTAssertEqual(record.profile, "device")
        XCTAssertEqual(try store.issuedCertificates(matching: CertificateFilter(), now: Date()).count, 18)
        var recorded = event
        recorded.serial = renewed.serialHex
        XCTAssertEqual(try store.auditRecords(limit: 1).last?.event, recorded, "the audit row commits with the certificate")

        let rotor = try Certificate(pem: String(decoding: try fixtureFile("certs/rotor-08.pem"), as: UTF8.self))
        XCTAssertThrowsError(try authority.reenroll(ReenrollmentRequest(csr: csr, current: rotor), profile: "rotate", audit: event)) {
            XCTAssertEqual($0 as? CAError, .forbidden("certificate already renewed"), "rotor-08 was superseded by rotor-09")
        }
    }
}
