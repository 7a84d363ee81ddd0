import ESTCA
import ESTCore
import ESTOpenSSL
import ESTSQLiteStore
import Foundation
import XCTest

/// The shape `serve --workers N` runs: one thread per worker, each with its own store
/// connection and ESTService over one store file, sharing one CAKeyring (whose keys are first
/// decrypted by whichever worker gets there first). Run under `swift test --sanitize=thread`
/// by scripts/sanitize.
final class ConcurrencyTests: XCTestCase {
    /// Results gathered from the worker threads.
    final class Results: @unchecked Sendable {
        private let lock = NSLock()
        private var statuses: [Int] = []
        private var serials: [String] = []
        private var failures: [String] = []

        func add(_ outcome: ESTOutcome) {
            lock.withLock {
                statuses.append(outcome.response.status)
                if let s = outcome.serial { serials.append(s) }
                if outcome.response.status >= 300 { failures.append(outcome.logLine) }
            }
        }

        func fail(_ message: String) { lock.withLock { failures.append(message) } }
        var snapshot: (statuses: [Int], serials: [String], failures: [String]) {
            lock.withLock { (statuses, serials, failures) }
        }
    }

    func testWorkersEnrollConcurrentlyAgainstOneStore() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("estfcgi-conc-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("ca.db").path
        let passphrase = "concurrency passphrase"

        // Set up as the CLI would, then close: the workers start from the file.
        let bootstrapPEM: String
        do {
            let store = try SQLiteCAStore(path: path, create: true)
            let ca = CertificateAuthority(store: store, keyring: CAKeyring(passphrase: passphrase))
            let admin = CAAdministration(ca)
            try admin.createCA(name: "root", subject: "CN=Root", keyType: .ecP256, days: 100, issuer: nil, pathLength: nil)
            try admin.createCA(name: "issuing", subject: "CN=Issuing", keyType: .ecP256, days: 50, issuer: "root", pathLength: 0)
            try admin.createCA(name: "factory", subject: "CN=Factory", keyType: .ecP256, days: 100, issuer: nil, pathLength: nil)
            try admin.saveProfile(Profile(label: "factory", issuer: "factory"), replace: false)
            var def = Profile(label: nil, issuer: "issuing")
            def.trust = ["factory"]
            def.csrAttrs = [.challengePassword]
            try admin.saveProfile(def, replace: false)
            let key = try PrivateKey.generate(.ecP256)
            let csr = try CSRBuilder.make(subject: try DistinguishedName(parsing: "CN=boot"), key: key)
            bootstrapPEM = try ca.issue(csr: csr, profile: try ca.requireProfile("factory"), requester: "test", audit: nil).0.pem
        }

        let workers = 4
        let perWorker = 12
        // Every CSR made up front: the threads then spend their time in the serving code.
        var bodies: [[Data]] = []
        for w in 0..<workers {
            bodies.append(try (0..<perWorker).map { i in
                let key = try PrivateKey.generate(.ecP256)
                return try CSRBuilder.make(subject: try DistinguishedName(parsing: "CN=dev-\(w)-\(i)"), key: key,
                                           extensions: [("subjectAltName", "DNS:dev-\(w)-\(i).example")]).der
            })
        }

        let keyring = CAKeyring(passphrase: passphrase)  // nothing decrypted yet
        let results = Results()
        let group = DispatchGroup()
        let start = DispatchSemaphore(value: 0)
        for w in 0..<workers {
            let mine = bodies[w]
            group.enter()
            let thread = Thread {
                defer { group.leave() }
                let service: ESTService
                do { service = ESTService(authority: CertificateAuthority(store: try SQLiteCAStore(path: path), keyring: keyring)) }
                catch { return results.fail("worker \(w): cannot open the store: \(error)") }
                start.wait()
                for (i, body) in mine.enumerated() {
                    results.add(service.handle(ESTRequest(params: [
                        "REQUEST_METHOD": "POST", "DOCUMENT_URI": "/.well-known/est/simpleenroll",
                        "CONTENT_TYPE": "application/pkcs10", "SSL_CLIENT_CERT": bootstrapPEM,
                    ], body: body)))
                    // Reads between the writes, as real traffic has.
                    let op = i % 2 == 0 ? "cacerts" : "csrattrs"
                    results.add(service.handle(ESTRequest(params: [
                        "REQUEST_METHOD": "GET", "DOCUMENT_URI": "/.well-known/est/\(op)",
                    ])))
                }
            }
            thread.name = "estfcgi-test-worker-\(w)"
            thread.start()
        }
        for _ in 0..<workers { start.signal() }
        XCTAssertEqual(group.wait(timeout: .now() + 600), .success, "workers did not finish")

        let (statuses, serials, failures) = results.snapshot
        XCTAssertEqual(failures, [])
        XCTAssertEqual(statuses.count, workers * perWorker * 2)
        XCTAssertEqual(Set(serials).count, workers * perWorker, "every enrollment got its own serial")

        let store = try SQLiteCAStore(path: path)
        let issued = try store.issuedCertificates(matching: CertificateFilter(profile: .defaultProfile), now: Date())
        XCTAssertEqual(Set(issued.map(\.serial)), Set(serials), "every answered certificate is recorded, and only those")
        XCTAssertEqual(try store.auditRecords(limit: 10_000).filter { $0.event.operation == "simpleenroll" }.count,
                       workers * perWorker, "every enrollment left an audit row (the public reads are logged only)")
    }
}
