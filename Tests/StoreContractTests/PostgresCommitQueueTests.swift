import ESTPostgres
@testable import ESTPostgresStore
import ESTSQL
import Foundation
import XCTest

/// PostgreSQL's group runner (GroupCommitQueue+Postgres): writes queued while a group
/// commits go into one transaction; one that throws is rolled back alone, with what it had
/// written, and the others of its group commit. Needs ESTFCGI_TEST_PG.
final class PostgresCommitQueueTests: XCTestCase {
    func testAWriteThatThrowsIsRolledBackAloneAndTheRestOfItsGroupCommits() throws {
        let f = try StoreFactory(.postgres)
        let (uri, overrides) = try XCTUnwrap(f.postgresConninfo)
        let db = try f.connection()
        _ = try db.run("CREATE TABLE g (v TEXT PRIMARY KEY)", [])
        let queue = try GroupCommitQueue<PGConnection>(conninfo: uri, overrides: overrides)
        defer { queue.close() }
        struct Refused: Error {}

        // The first write holds its group until the four others are handed over, so they
        // go in one group, the second.
        let holding = NSCondition()
        nonisolated(unsafe) var held = false
        let writes: [() -> String] = [
            { (try? queue.perform { db in
                holding.withLock { held = true; holding.broadcast() }
                let deadline = Date().addingTimeInterval(30)
                while queue.waiting < 4 && Date() < deadline { usleep(1_000) }
                _ = try db.execute("INSERT INTO g VALUES (?)", ["first"])
            }).map { "ok" } ?? "failed" },
            { (try? queue.perform { db in _ = try db.execute("INSERT INTO g VALUES (?)", ["a"]) }).map { "ok" } ?? "failed" },
            {
                do {
                    try queue.perform { db in
                        _ = try db.execute("INSERT INTO g VALUES (?)", ["refused-partial"])
                        throw Refused()
                    }
                    return "ok"
                } catch is Refused { return "refused" } catch { return "\(error)" }
            },
            {
                // A statement PostgreSQL refuses (a duplicate key) aborts the server's
                // transaction: the group must recover from it as well.
                do {
                    try queue.perform { db in _ = try db.execute("INSERT INTO g VALUES (?)", ["dup"]); _ = try db.execute("INSERT INTO g VALUES (?)", ["dup"]) }
                    return "ok"
                } catch let e as PGError { return e.sqlState } catch { return "\(error)" }
            },
            { (try? queue.perform { db in _ = try db.execute("INSERT INTO g VALUES (?)", ["b"]) }).map { "ok" } ?? "failed" },
        ]
        // The slow write first, then the others at once while it holds its group.
        nonisolated(unsafe) let first = writes[0]
        nonisolated(unsafe) var firstResult = ""
        let firstDone = DispatchSemaphore(value: 0)
        Thread {
            firstResult = first()
            firstDone.signal()
        }.start()
        holding.withLock { while !held { holding.wait() } }
        let rest = StoreContract.together(Array(writes.dropFirst()))
        firstDone.wait()
        let results = [firstResult] + rest
        XCTAssertEqual(results, ["ok", "ok", "refused", "23505", "ok"])
        XCTAssertEqual(try db.rows("SELECT v FROM g ORDER BY v", []).map { try $0.requiredString("v") }, ["a", "b", "first"],
                       "the refused writes left nothing, the others are committed")
        XCTAssertEqual(queue.writes, 3)
        XCTAssertEqual(queue.commits, 2, "the first write's transaction, then one for the group of four")
    }

    func testWritesAfterCloseAreRefused() throws {
        let f = try StoreFactory(.postgres)
        let (uri, overrides) = try XCTUnwrap(f.postgresConninfo)
        let queue = try GroupCommitQueue<PGConnection>(conninfo: uri, overrides: overrides)
        queue.close()
        XCTAssertThrowsError(try queue.perform { _ in 1 }) { XCTAssertTrue($0 is GroupCommitClosed) }
    }
}
