import ESTSQL
@testable import ESTSQLite
import Foundation
import XCTest

/// SQLite's group runner (GroupCommitQueue+SQLite) on a real file; the queue's own
/// behaviour is GroupCommitQueueTests'.
final class CommitQueueTests: XCTestCase {
    var path: String!
    var dir: URL!

    override func setUpWithError() throws {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("estfcgi-commits-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        path = dir.appendingPathComponent("q.db").path
        try Database(path: path).execute("CREATE TABLE t (k TEXT UNIQUE)")
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: dir) }

    func count(_ db: Database, _ condition: String = "1") throws -> SQLValue {
        try db.scalar("SELECT count(*) FROM t WHERE \(condition)")
    }

    /// The writer's connection keeps a page cache of up to 32 MiB, where SQLite's default is
    /// 2 MiB: every insert walks randomly keyed indexes (issue 24, item 5).
    func testTheWritersConnectionKeepsALargerPageCache() throws {
        XCTAssertEqual(try GroupCommitQueue<Database>.writerConnection(path: path).scalar("PRAGMA cache_size"), .integer(-32768))
        XCTAssertEqual(try Database(path: path).scalar("PRAGMA cache_size"), .integer(-2000), "other connections keep the default")
    }

    /// Many threads at once: every write that returned is on disk (another connection sees
    /// it), a refused one left nothing, and they shared transactions.
    func testConcurrentWritersCommitTogetherAndFailAlone() throws {
        let queue = try GroupCommitQueue(path: path)
        let threads = 16, each = 25
        let failures = Atomic(0)
        let path = self.path!
        // Threads of their own (concurrentPerform would run only one per core).
        let done = DispatchGroup()
        for t in 0..<threads {
            done.enter()
            Thread {
                defer { done.leave() }
                let reader = try! Database(path: path, create: false)
                for i in 0..<each {
                    let key = "\(t)-\(i)"
                    try! queue.perform { db in try db.execute("INSERT INTO t VALUES (?)", [key]) }
                    // Returned, so committed: visible to another connection now.
                    XCTAssertEqual(try! reader.scalar("SELECT count(*) FROM t WHERE k = ?", [key]), .integer(1))
                    // A duplicate fails on its own, with its own error, inside a shared transaction.
                    do {
                        try queue.perform { db in
                            try db.execute("INSERT INTO t VALUES (?)", ["\(key)-dup-side"])
                            try db.execute("INSERT INTO t VALUES (?)", [key])
                        }
                        XCTFail("duplicate accepted")
                    } catch let e as SQLiteError {
                        XCTAssertTrue(e.isUniqueViolation)
                        failures.add()
                    } catch { XCTFail("\(error)") }
                }
            }.start()
        }
        done.wait()
        queue.close()
        let db = try Database(path: path, create: false)
        XCTAssertEqual(try count(db), .integer(Int64(threads * each)))
        XCTAssertEqual(try count(db, "k LIKE '%-dup-side'"), .integer(0), "a refused write's earlier statements rolled back")
        XCTAssertEqual(failures.value, threads * each)
        XCTAssertLessThan(queue.commits, threads * each * 2, "no group was ever formed")
        XCTAssertEqual(queue.writes, threads * each, "the writes committed, not the refused ones")
    }

    /// Queued rows wait for company, but not past the delay, and never past close().
    func testDeferredWritesCommitWithinTheDelayAndOnClose() throws {
        let reader = try Database(path: path, create: false)
        let slow = try GroupCommitQueue(path: path, maxDelay: 60)
        slow.enqueue { db in try db.execute("INSERT INTO t VALUES ('waits')") }
        Thread.sleep(forTimeInterval: 0.2)
        XCTAssertEqual(try count(reader, "k = 'waits'"), .integer(0), "no transaction of its own yet")
        try slow.perform { db in try db.execute("INSERT INTO t VALUES ('sync')") }
        XCTAssertEqual(try count(reader, "k = 'waits'"), .integer(1), "joined the next transaction")
        slow.enqueue { db in try db.execute("INSERT INTO t VALUES ('at-close')") }
        slow.close()
        XCTAssertEqual(try count(reader, "k = 'at-close'"), .integer(1), "close() commits what is queued")
        XCTAssertThrowsError(try slow.perform { _ in }) { XCTAssertTrue($0 is GroupCommitClosed) }

        let quick = try GroupCommitQueue(path: path, maxDelay: 0.05)
        defer { quick.close() }
        quick.enqueue { db in try db.execute("INSERT INTO t VALUES ('alone')") }
        let deadline = Date() + 5
        while try count(reader, "k = 'alone'") == .integer(0), Date() < deadline { Thread.sleep(forTimeInterval: 0.01) }
        XCTAssertEqual(try count(reader, "k = 'alone'"), .integer(1), "committed on its own after the delay")
    }

    /// Another process holding the write lock makes writers wait, not fail (busy timeout).
    func testAnotherConnectionsLockIsWaitedFor() throws {
        let queue = try GroupCommitQueue(path: path)
        defer { queue.close() }
        let locked = DispatchSemaphore(value: 0)
        let path = self.path!
        Thread {
            let other = try! Database(path: path, create: false)
            try! other.execute("BEGIN IMMEDIATE")
            locked.signal()
            Thread.sleep(forTimeInterval: 0.3)
            try! other.execute("COMMIT")
        }.start()
        locked.wait()
        let started = Date()
        try queue.perform { db in try db.execute("INSERT INTO t VALUES ('after')") }
        XCTAssertGreaterThan(Date().timeIntervalSince(started), 0.2)
    }
}

/// A counter the test threads share.
final class Atomic: @unchecked Sendable {
    private let lock = NSLock()
    private var n: Int
    init(_ n: Int) { self.n = n }
    func add() { lock.withLock { n += 1 } }
    var value: Int { lock.withLock { n } }
}
