import ESTCA
import ESTCore
import ESTOpenSSL
import ESTPostgres
@testable import ESTPostgresStore
import ESTSQL
import Foundation
import XCTest

/// PGConnection's pipeline: a transaction's BEGIN goes with its first statement, and rows
/// whose outcome nobody reads (`executeLater`: the audit, notification deliveries) with the
/// next statement or the COMMIT, one round trip each; a failure among them still fails the
/// transaction, and in a group commit only the write that queued it. Needs ESTFCGI_TEST_PG.
final class PostgresPipelineTests: XCTestCase {
    private func connection() throws -> (PGConnection, StoreFactory) {
        let f = try StoreFactory(.postgres)
        let (uri, overrides) = try XCTUnwrap(f.postgresConninfo)
        let db = try PGConnection(conninfo: uri, overrides: overrides)
        try db.script("CREATE TABLE g (v TEXT PRIMARY KEY)")
        return (db, f)
    }

    private func values(_ db: PGConnection) throws -> [String] {
        try db.query("SELECT v FROM g ORDER BY v").map { try $0.requiredString("v") }
    }

    func testBeginAndDeferredRowsShareTheRoundTripsOfTheStatementsAroundThem() throws {
        let (db, f) = try connection()
        defer { withExtendedLifetime(f) {} }  // its schema lives as long as the test
        // Prepared once before counting (a statement's first use prepares it).
        _ = try db.query("SELECT count(*) FROM g")
        try db.execute("INSERT INTO g VALUES (?)", ["warm"])

        var before = db.roundTrips
        try db.transaction {
            _ = try db.query("SELECT count(*) FROM g")
            try db.executeLater("INSERT INTO g VALUES (?)", ["a"])
        }
        // BEGIN + SELECT, then INSERT + COMMIT: was BEGIN, SELECT, INSERT, COMMIT.
        XCTAssertEqual(db.roundTrips - before, 2)

        before = db.roundTrips
        try db.transaction {
            try db.executeLater("INSERT INTO g VALUES (?)", ["b"])
            try db.executeLater("INSERT INTO g VALUES (?)", ["c"])
        }
        XCTAssertEqual(db.roundTrips - before, 1, "BEGIN, both rows and COMMIT in one pipeline")

        before = db.roundTrips
        try db.transaction {}
        XCTAssertEqual(db.roundTrips - before, 0, "a transaction that ran nothing sends nothing")

        XCTAssertEqual(try values(db), ["a", "b", "c", "warm"])
        XCTAssertFalse(db.isInTransaction)
    }

    func testADeferredStatementThatFailsFailsItsTransactionWhereverItSurfaces() throws {
        let (db, f) = try connection()
        defer { withExtendedLifetime(f) {} }  // its schema lives as long as the test
        try db.execute("INSERT INTO g VALUES (?)", ["dup"])
        // With the COMMIT: nothing of the transaction stays.
        db.deferredOwner = 7
        XCTAssertThrowsError(try db.transaction {
            try db.executeLater("INSERT INTO g VALUES (?)", ["x"])
            try db.executeLater("INSERT INTO g VALUES (?)", ["dup"])
            try db.executeLater("INSERT INTO g VALUES (?)", ["y"])
        }) {
            XCTAssertEqual(($0 as? PGError)?.sqlState, "23505", "\($0)")
            XCTAssertEqual(($0 as? PGError)?.deferredOwner, 7)
        }
        // With the next statement read: it throws, not the statement's own result.
        db.deferredOwner = 0
        XCTAssertThrowsError(try db.transaction {
            try db.executeLater("INSERT INTO g VALUES (?)", ["dup"])
            _ = try db.query("SELECT count(*) FROM g")
            XCTFail("the statement after a failed deferred one does not return")
        }) { XCTAssertEqual(($0 as? PGError)?.sqlState, "23505", "\($0)") }
        XCTAssertFalse(db.isInTransaction, "rolled back")
        XCTAssertEqual(try values(db), ["dup"])
        // A value PostgreSQL cannot take fails its caller at once, not a later statement.
        try db.transaction {
            XCTAssertThrowsError(try db.executeLater("INSERT INTO g VALUES (?)", ["nul\u{0}"]))
            try db.executeLater("INSERT INTO g VALUES (?)", ["z"])
        }
        XCTAssertEqual(try values(db), ["dup", "z"])
        // Outside a transaction it runs at once.
        try db.executeLater("INSERT INTO g VALUES (?)", ["now"])
        XCTAssertEqual(try values(db), ["dup", "now", "z"])
    }

    func testIndependentStatementsRunTogetherInOneRoundTrip() throws {
        let (db, f) = try connection()
        defer { withExtendedLifetime(f) {} }
        try db.execute("INSERT INTO g VALUES (?)", ["a"])
        _ = try db.queryTogether([("SELECT count(*) AS n FROM g", []), ("SELECT v FROM g WHERE v = ?", ["a"])])
        try db.transaction {
            let before = db.roundTrips
            let results = try db.queryTogether([("INSERT INTO g VALUES (?) RETURNING v", ["b"]), ("SELECT count(*) AS n FROM g", []),
                                                ("SELECT v FROM g WHERE v = ?", ["a"])])
            XCTAssertEqual(db.roundTrips - before, 1, "BEGIN and the three statements")
            XCTAssertEqual(results.count, 3)
            XCTAssertEqual(try results[0].map { try $0.requiredString("v") }, ["b"])
            XCTAssertEqual(try results[1].map { try $0.requiredInt("n") }, [2], "a statement sees those before it")
            XCTAssertEqual(try results[2].map { try $0.requiredString("v") }, ["a"])
        }
        // The first failure is thrown; the transaction is rolled back.
        XCTAssertThrowsError(try db.transaction {
            _ = try db.queryTogether([("INSERT INTO g VALUES (?) RETURNING v", ["c"]), ("INSERT INTO g VALUES (?) RETURNING v", ["a"])])
        }) { XCTAssertEqual(($0 as? PGError)?.sqlState, "23505", "\($0)") }
        XCTAssertEqual(try values(db), ["a", "b"])
    }

    func testAStatementFirstUsedInAPipelineIsPreparedThereAndReused() throws {
        let (db, f) = try connection()
        defer { withExtendedLifetime(f) {} }  // its schema lives as long as the test
        // Two new statements and the same new one twice in one pipeline.
        try db.transaction {
            try db.executeLater("INSERT INTO g VALUES (?)", ["a"])
            try db.executeLater("INSERT INTO g VALUES (?)", ["b"])
            try db.executeLater("INSERT INTO g (v) VALUES (?)", ["c"])
        }
        let before = db.roundTrips
        try db.execute("INSERT INTO g (v) VALUES (?)", ["d"])
        XCTAssertEqual(db.roundTrips - before, 1, "prepared in the pipeline: no prepare now")
        // A prepare that a failure before it skipped is made again on next use.
        XCTAssertThrowsError(try db.transaction {
            try db.executeLater("INSERT INTO g VALUES (?)", ["a"])  // duplicate
            try db.executeLater("INSERT INTO g SELECT ? WHERE TRUE", ["e"])
        })
        try db.execute("INSERT INTO g SELECT ? WHERE TRUE", ["e"])
        XCTAssertEqual(try values(db), ["a", "b", "c", "d", "e"])
    }

    func testAGroupRefusesOnlyTheWriteWhoseDeferredRowFailed() throws {
        let f = try StoreFactory(.postgres)
        let (uri, overrides) = try XCTUnwrap(f.postgresConninfo)
        let db = try f.connection()
        _ = try db.run("CREATE TABLE g (v TEXT PRIMARY KEY)", [])
        _ = try db.run("INSERT INTO g VALUES ('dup')", [])
        let queue = try GroupCommitQueue<PGConnection>(conninfo: uri, overrides: overrides)
        defer { queue.close() }

        // The first write holds its group until the others are queued: they go together,
        // and the failing row of one surfaces with another's statement or the COMMIT.
        let holding = NSCondition()
        nonisolated(unsafe) var held = false
        nonisolated(unsafe) var firstResult = ""
        let firstDone = DispatchSemaphore(value: 0)
        Thread {
            firstResult = (try? queue.perform { db in
                holding.withLock { held = true; holding.broadcast() }
                let deadline = Date().addingTimeInterval(30)
                while queue.waiting < 3 && Date() < deadline { usleep(1_000) }
                try db.execute("INSERT INTO g VALUES (?)", ["first"])
            }).map { "ok" } ?? "failed"
            firstDone.signal()
        }.start()
        holding.withLock { while !held { holding.wait() } }
        func outcome(_ body: @escaping (PGConnection) throws -> Void) -> String {
            do { try queue.perform(body); return "ok" } catch let e as PGError { return e.sqlState } catch { return "\(error)" }
        }
        let rest = StoreContract.together([
            { outcome { db in try db.execute("INSERT INTO g VALUES (?)", ["a"]); try db.executeLater("INSERT INTO g VALUES (?)", ["a2"]) } },
            { outcome { db in try db.executeLater("INSERT INTO g VALUES (?)", ["dup"]) } },
            { outcome { db in try db.execute("INSERT INTO g VALUES (?)", ["b"]) } },
        ])
        firstDone.wait()
        XCTAssertEqual([firstResult] + rest, ["ok", "ok", "23505", "ok"])
        XCTAssertEqual(try db.rows("SELECT v FROM g ORDER BY v", []).map { try $0.requiredString("v") }, ["a", "a2", "b", "dup", "first"])
        XCTAssertEqual(queue.commits, 2, "the first write's transaction, then the group of the other two")
    }

    /// A whole issuance on the store's own connection: BEGIN with the certificate's INSERT
    /// and the subscribers' SELECT, then the audit row with the COMMIT (was five round trips:
    /// BEGIN, INSERT, audit, SELECT, COMMIT).
    func testAnIssuanceWithItsAuditRowIsTwoRoundTrips() throws {
        let f = try StoreFactory(.postgres)
        _ = try StoreContract.setUp(f)
        let store = try XCTUnwrap(try f.makeStore() as? PostgresCAStore)
        let issuer = try XCTUnwrap(store.ca(named: "issuing"))
        let key = try CAKeyring(passphrase: StoreContract.passphrase).signingKey(for: issuer)
        func issue() throws {
            let leaf = try CertificateSigner.sign(CertificateTemplate(
                subject: try DistinguishedName(parsing: "CN=leaf"), publicKey: try PrivateKey.generate(.ecP256).publicKey,
                serial: try CertificateTemplate.randomSerial(), notBefore: Date(), notAfter: Date() + 3600, isCA: false,
                keyUsage: [.digitalSignature]), issuer: issuer.certificate, issuerKey: key)
            _ = try store.recordIssued(NewCertificate(leaf, issuer: issuer, profile: nil, requester: nil),
                                       conditions: IssuanceConditions(), audit: .admin("issue"), now: Date())
        }
        try issue()  // prepares the statements
        let before = store.db.roundTrips
        try issue()
        XCTAssertEqual(store.db.roundTrips - before, 2)
        XCTAssertEqual(try store.auditRecords(limit: 10).filter { $0.event.operation == "issue" }.count, 2)
    }
}
