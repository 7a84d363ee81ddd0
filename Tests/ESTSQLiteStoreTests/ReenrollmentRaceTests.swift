import ESTCA
import ESTCore
import ESTOpenSSL
import ESTSQLiteStore
import Foundation
import XCTest

/// Two re-enrollments with one certificate at the same instant (RFC 7030 §4.2.2), through
/// the EST core and a real store file, as two workers of one process (one SQLiteStorePool)
/// and as two processes (a pool each).
final class ReenrollmentRaceTests: XCTestCase {
    var dir: URL!
    var path: String!
    let keyring = CAKeyring(passphrase: "race passphrase")
    var bootstrapPEM = ""

    override func setUpWithError() throws {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("estfcgi-race-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        path = dir.appendingPathComponent("ca.db").path
        let store = try SQLiteCAStore(path: path, create: true)
        let ca = CertificateAuthority(store: store, keyring: keyring)
        let admin = CAAdministration(ca)
        try admin.createCA(name: "issuing", subject: "CN=Issuing", keyType: .ecP256, days: 50, issuer: nil, pathLength: 0)
        try admin.createCA(name: "factory", subject: "CN=Factory", keyType: .ecP256, days: 100, issuer: nil, pathLength: nil)
        try admin.saveProfile(Profile(label: "factory", issuer: "factory"), replace: false)
        for (label, revoke) in [("iot", true), ("keep", false)] {
            var p = Profile(label: label, issuer: "issuing")
            p.trust = ["factory"]
            p.revokeOnReenroll = revoke
            try admin.saveProfile(p, replace: false)
        }
        let csr = try CSRBuilder.make(subject: try DistinguishedName(parsing: "CN=boot"), key: try PrivateKey.generate(.ecP256))
        bootstrapPEM = try ca.issue(csr: csr, profile: try ca.requireProfile("factory"), requester: "test", audit: nil).0.pem
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: dir) }

    func request(_ op: String, label: String, csr: Data, client: String) -> ESTRequest {
        ESTRequest(params: ["REQUEST_METHOD": "POST", "DOCUMENT_URI": "/.well-known/est/\(label)/\(op)",
                            "CONTENT_TYPE": "application/pkcs10", "SSL_CLIENT_CERT": client], body: csr)
    }

    func csr(_ cn: String) throws -> Data {
        try CSRBuilder.make(subject: try DistinguishedName(parsing: "CN=\(cn)"), key: try PrivateKey.generate(.ecP256)).der
    }

    /// One side of a race: a service (one per thread, as a worker has) and what it answered.
    final class Racer: @unchecked Sendable {
        let service: ESTService
        let request: ESTRequest
        var outcome: ESTOutcome?
        init(_ service: ESTService, _ request: ESTRequest) { self.service = service; self.request = request }
    }

    /// Runs both requests from two threads released together; returns both outcomes.
    func race(_ a: ESTService, _ b: ESTService, _ requests: (ESTRequest, ESTRequest)) -> [ESTOutcome] {
        let racers = [Racer(a, requests.0), Racer(b, requests.1)]
        let ready = DispatchGroup(), done = DispatchGroup()
        let go = DispatchSemaphore(value: 0)
        for racer in racers {
            ready.enter()
            done.enter()
            Thread {
                ready.leave()
                go.wait()
                racer.outcome = racer.service.handle(racer.request)
                done.leave()
            }.start()
        }
        ready.wait()
        go.signal()
        go.signal()
        done.wait()
        return racers.compactMap(\.outcome)
    }

    func enrolled(_ service: ESTService, label: String, cn: String) throws -> String {
        let out = service.handle(request("simpleenroll", label: label, csr: try csr(cn), client: bootstrapPEM))
        XCTAssertEqual(out.response.status, 200, out.logLine)
        let serial = try XCTUnwrap(out.serial)
        let store = try SQLiteCAStore(path: path)
        let record = try XCTUnwrap(store.issuedCertificates(serial: serial).first)
        return PEM.encode(record.der, label: "CERTIFICATE")
    }

    func successors(of pem: String) throws -> [IssuedCertificate] {
        let store = try SQLiteCAStore(path: path)
        let current = try Certificate(pem: pem)
        return try store.issuedCertificates(matching: CertificateFilter(), now: Date())
            .filter { $0.replacesSerial == current.serialHex }
    }

    func runRounds(sharedPool: Bool) throws {
        let poolA = try SQLiteStorePool(path: path)
        let poolB = sharedPool ? poolA : try SQLiteStorePool(path: path)
        // Two processes have a parsed-CA cache each; two workers of one share theirs.
        let materials = CAMaterialCache()
        func service(_ pool: SQLiteStorePool) throws -> ESTService {
            ESTService(authority: CertificateAuthority(store: try pool.makeStore(), keyring: keyring,
                                                       materials: sharedPool ? materials : CAMaterialCache()))
        }
        let a = try service(poolA), b = try service(poolB)
        for round in 0..<20 {
            // Revoke on re-enrollment: one certificate is replaced once.
            let device = try enrolled(a, label: "iot", cn: "dev-\(round)")
            let outcomes = race(a, b, (request("simplereenroll", label: "iot", csr: try csr("dev-\(round)"), client: device),
                                       request("simplereenroll", label: "iot", csr: try csr("dev-\(round)"), client: device)))
            let statuses = outcomes.map(\.response.status).sorted()
            XCTAssertEqual(statuses, [200, 403], "round \(round): \(outcomes.map(\.logLine))")
            if let loser = outcomes.first(where: { $0.response.status == 403 }) {
                XCTAssertEqual(loser.reason, "certificate already renewed", "round \(round)")
            }
            let winners = outcomes.compactMap(\.serial)
            XCTAssertEqual(try successors(of: device).map(\.serial), winners, "round \(round): one successor, the answered one")

            // Without it: both are answered, each recorded exactly once.
            let kept = try enrolled(a, label: "keep", cn: "keep-\(round)")
            let both = race(a, b, (request("simplereenroll", label: "keep", csr: try csr("keep-\(round)"), client: kept),
                                   request("simplereenroll", label: "keep", csr: try csr("keep-\(round)"), client: kept)))
            XCTAssertEqual(both.map(\.response.status), [200, 200], "round \(round): \(both.map(\.logLine))")
            XCTAssertEqual(Set(try successors(of: kept).map(\.serial)), Set(both.compactMap(\.serial)))
            XCTAssertEqual(try successors(of: kept).count, 2)
        }
        // Closing commits the refusals' audit rows, which wait to join a transaction.
        XCTAssertEqual(poolA.close(), 0)
        if !sharedPool { XCTAssertEqual(poolB.close(), 0) }
        // The loser left no audit row claiming an issuance; each winner exactly one.
        let audit = try SQLiteCAStore(path: path).auditRecords(limit: 10_000).filter { $0.event.operation == "simplereenroll" }
        XCTAssertEqual(audit.filter { $0.event.status == 200 }.count, 60)
        XCTAssertEqual(audit.filter { $0.event.status == 403 }.count, 20, "the refusals are audited too")
        XCTAssertEqual(Set(audit.compactMap(\.event.serial)).count, 60)
    }

    func testOneProcessTwoWorkers() throws { try runRounds(sharedPool: true) }

    func testTwoProcesses() throws { try runRounds(sharedPool: false) }
}
