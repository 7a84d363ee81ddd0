import CSQLite
import ESTSQLite
import Foundation
import XCTest

final class DatabaseTests: XCTestCase {
    var dir: URL!

    override func setUpWithError() throws {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("estfcgi-sqlite-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: dir) }

    /// SQLite keeps no memory statistics (estfcgi_sqlite_configure): with them every
    /// allocation takes a process-wide mutex. They stay at zero however much is allocated.
    func testMemoryStatisticsAreOff() throws {
        let db = try Database(path: dir.appendingPathComponent("m.db").path)
        try db.execute("CREATE TABLE t (x BLOB)")
        for _ in 0..<50 { try db.execute("INSERT INTO t (x) VALUES (randomblob(10000))") }
        XCTAssertEqual(try db.query("SELECT x FROM t").count, 50)
        XCTAssertEqual(sqlite3_memory_used(), 0)
        XCTAssertEqual(sqlite3_memory_highwater(0), 0)
    }

    func testNewFileIsPrivateAndWAL() throws {
        let path = dir.appendingPathComponent("s.db").path
        let db = try Database(path: path)
        let mode = try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as! Int
        XCTAssertEqual(mode, 0o600)
        XCTAssertEqual(try db.scalar("PRAGMA journal_mode"), .text("wal"))
    }

    func testBindingRoundTripsEveryType() throws {
        let db = try Database(path: dir.appendingPathComponent("s.db").path)
        try db.execute("CREATE TABLE t (i INTEGER, s TEXT, b BLOB, n TEXT)")
        let blob = Data([0, 1, 2, 255])
        // A value that would be an injection if it were spliced into the SQL text.
        let tricky = "x'); DROP TABLE t; --"
        try db.execute("INSERT INTO t VALUES (?, ?, ?, ?)", [Int64.max, tricky, blob, String?.none])
        let row = try XCTUnwrap(db.query("SELECT * FROM t").first)
        XCTAssertEqual(row.int("i"), Int64.max)
        XCTAssertEqual(row.string("s"), tricky)
        XCTAssertEqual(row.data("b"), blob)
        XCTAssertEqual(row["n"], .null)
        try db.execute("INSERT INTO t (b) VALUES (?)", [Data()])
        XCTAssertEqual(try db.scalar("SELECT count(*) FROM t WHERE b IS NOT NULL"), .integer(2), "empty blob is not NULL")
    }

    func testTransactionRollsBackOnError() throws {
        let db = try Database(path: dir.appendingPathComponent("s.db").path)
        try db.execute("CREATE TABLE t (k TEXT UNIQUE)")
        struct Boom: Error {}
        XCTAssertThrowsError(try db.transaction {
            try db.execute("INSERT INTO t VALUES ('a')")
            throw Boom()
        })
        XCTAssertEqual(try db.scalar("SELECT count(*) FROM t"), .integer(0))
        try db.execute("INSERT INTO t VALUES ('a')")
        do {
            try db.execute("INSERT INTO t VALUES ('a')")
            XCTFail("duplicate accepted")
        } catch let e as SQLiteError {
            XCTAssertTrue(e.isConstraintViolation)
        }
    }

    func testMigrationsRunOnceAndRefuseNewerStores() throws {
        let path = dir.appendingPathComponent("s.db").path
        let db = try Database(path: path)
        let v1 = Migrator([["CREATE TABLE a (x)"]])
        XCTAssertEqual(try v1.migrate(db), 1)
        XCTAssertEqual(try v1.migrate(db), 1, "idempotent")
        let v2 = Migrator([["CREATE TABLE a (x)"], ["ALTER TABLE a ADD COLUMN y"]])
        XCTAssertEqual(try v2.migrate(db), 2)
        XCTAssertThrowsError(try v1.migrate(db), "an older binary must not write a newer schema")
    }

    func testScalarIsTheFirstColumnAndRowsKeepColumnOrder() throws {
        let db = try Database(path: dir.appendingPathComponent("s.db").path)
        for _ in 0..<20 {
            XCTAssertEqual(try db.scalar("SELECT 1 AS z, 2 AS a, 3 AS m"), .integer(1))
        }
        let row = try XCTUnwrap(db.query("SELECT 1 AS z, 2 AS a, 3 AS m").first)
        XCTAssertEqual(row.names, ["z", "a", "m"])
        XCTAssertEqual(row.values, [.integer(1), .integer(2), .integer(3)])
        XCTAssertEqual(row["a"], .integer(2))
    }

    func testEachMigrationCommitsOnItsOwn() throws {
        let db = try Database(path: dir.appendingPathComponent("s.db").path)
        let broken = Migrator([["CREATE TABLE a (x)"], ["CREATE TABLE b (x)", "THIS IS NOT SQL"]])
        XCTAssertThrowsError(try broken.migrate(db))
        XCTAssertEqual(try broken.currentVersion(of: db), 1, "migration 1 stays applied when 2 fails")
        XCTAssertEqual(try db.scalar("SELECT count(*) FROM sqlite_master WHERE name = 'b'"), .integer(0), "2 rolled back")
        let fixed = Migrator([["CREATE TABLE a (x)"], ["CREATE TABLE b (x)"]])
        XCTAssertEqual(try fixed.migrate(db), 2)
    }

    func testUniqueViolationsAreToldApart() throws {
        let db = try Database(path: dir.appendingPathComponent("s.db").path)
        try db.execute("CREATE TABLE t (k TEXT UNIQUE, n INTEGER NOT NULL CHECK (n > 0))")
        try db.execute("INSERT INTO t VALUES ('a', 1)")
        do { try db.execute("INSERT INTO t VALUES ('a', 1)"); XCTFail() } catch let e as SQLiteError {
            XCTAssertTrue(e.isUniqueViolation)
        }
        do { try db.execute("INSERT INTO t VALUES ('b', 0)"); XCTFail() } catch let e as SQLiteError {
            XCTAssertTrue(e.isConstraintViolation)
            XCTAssertFalse(e.isUniqueViolation, "a CHECK failure is not a duplicate")
        }
    }

    func testTwoConnectionsSeeEachOthersCommits() throws {
        let path = dir.appendingPathComponent("s.db").path
        let a = try Database(path: path), b = try Database(path: path)
        try a.execute("CREATE TABLE t (x)")
        try a.transaction { try a.execute("INSERT INTO t VALUES (1)") }
        XCTAssertEqual(try b.scalar("SELECT count(*) FROM t"), .integer(1))
    }

    /// SQLite's temporary files (sub-journals) this process holds open: unlinked at once,
    /// they show only as "/…/etilqs_… (deleted)" in /proc/self/fd.
    private func openTemporaryFiles() throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd").compactMap {
            try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/fd/\($0)")
        }.filter { $0.contains("etilqs_") }
    }

    /// A group commit journals each write's pages in its savepoint: they stay in memory
    /// (SQLite's default moved a journal past 64 KiB to a temporary file: open, unlink and
    /// two pwrite64 per page, for the rest of the transaction).
    func testSavepointJournalsStayInMemory() throws {
        let db = try Database(path: dir.appendingPathComponent("s.db").path)
        XCTAssertEqual(try db.scalar("PRAGMA temp_store"), .integer(2))
        try db.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, v BLOB)")
        // 300 rows of 3,000 bytes: a page each.
        try db.transaction {
            for i in 0..<300 { try db.execute("INSERT INTO t VALUES (?, ?)", [Int64(i), Data(count: 3000)]) }
        }
        try db.transaction {
            // A group of 8 writes, each changing 300 pages (1.2 MB journalled in its savepoint).
            for round in 0..<8 {
                try db.savepoint { try db.execute("UPDATE t SET v = ?", [Data(repeating: UInt8(round), count: 3000)]) }
            }
            XCTAssertEqual(try openTemporaryFiles(), [], "the sub-journal spilled to a file")
            // And a savepoint rolled back from the in-memory journal restores its pages.
            struct Refused: Error {}
            XCTAssertThrowsError(try db.savepoint {
                try db.execute("UPDATE t SET v = ?", [Data(repeating: 0xEE, count: 3000)])
                throw Refused()
            })
        }
        XCTAssertEqual(try db.scalar("SELECT count(*) FROM t WHERE v = ?", [Data(repeating: 7, count: 3000)]), .integer(300))
    }
}

/// SQLRow's typed reads: a column that must hold a value names itself when it does not.
final class SQLRowTests: XCTestCase {
    let row = SQLRow(names: ["n", "t", "z", "f", "b"], values: [.integer(7), .text("x"), .null, .integer(2), .bool(true)])

    func testRequiredReadsThrowNamingTheColumn() {
        XCTAssertEqual(try row.requiredInt("n"), 7)
        XCTAssertThrowsError(try row.requiredInt("t")) { XCTAssertEqual(($0 as? SQLColumnError)?.column, "t") }
        XCTAssertThrowsError(try row.requiredString("z")) { XCTAssertEqual(($0 as? SQLColumnError)?.column, "z") }
        XCTAssertThrowsError(try row.requiredString("missing")) { XCTAssertEqual(($0 as? SQLColumnError)?.found, "no such column") }
    }

    func testFlagsAreZeroOneOrBooleanNeverADefault() {
        XCTAssertEqual(try row.requiredBool("b"), true)
        XCTAssertThrowsError(try row.requiredBool("z"), "NULL is not false")
        XCTAssertThrowsError(try row.requiredBool("f"), "2 is not a flag")
    }

    func testOptionalReadsTakeNullButNotAnotherType() {
        XCTAssertEqual(try row.optionalInt("z"), nil)
        XCTAssertEqual(try row.optionalString("t"), "x")
        XCTAssertThrowsError(try row.optionalString("n"))
        XCTAssertThrowsError(try row.optionalInt("missing"), "a column the query did not select is not NULL")
    }
}
