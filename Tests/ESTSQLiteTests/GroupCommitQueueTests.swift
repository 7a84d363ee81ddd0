import ESTSQL
import Foundation
import XCTest

/// The engine-neutral queue (GroupCommitQueue) over a fake connection: what the leaders
/// commit, who learns what, leadership hand-off, close under load, deferred rows. Every
/// wait has a timeout, so a lost hand-off fails the test instead of hanging it.
final class GroupCommitQueueTests: XCTestCase {
    /// One transaction's rows, as the fake engine's connection.
    final class Transaction {
        var rows: [String] = []
        func insert(_ row: String) { rows.append(row) }
    }

    /// A fake engine: writes each roll back alone when they throw (as in a savepoint), the
    /// group's rows are "stored" when the runner returns; a group holding a row named
    /// "fail-commit" fails to commit, as many times as `commitFailures` says.
    final class Store: @unchecked Sendable {
        let lock = NSLock()
        private(set) var committed: [String] = []
        private(set) var groups = 0
        var commitFailures = Int.max
        /// How long a commit takes (a flush): writes queue meanwhile, groups form.
        var commitDelay: useconds_t = 0

        func commit(_ group: [GroupCommitWrite<Transaction>]) throws {
            let txn = Transaction()
            for write in group {
                let mark = txn.rows.count
                do { try write.run(txn) } catch {
                    write.error = error
                    txn.rows.removeSubrange(mark...)
                }
            }
            usleep(commitDelay)
            try lock.withLock {
                if txn.rows.contains("fail-commit"), commitFailures > 0 {
                    commitFailures -= 1
                    throw CommitFailed()
                }
                committed += txn.rows
                groups += 1
            }
        }

        var rows: [String] { lock.withLock { committed } }
    }

    struct CommitFailed: Error {}
    struct Refused: Error, Equatable { let key: String }

    func queue(_ store: Store, maxGroup: Int = .max, maxDelay: TimeInterval = 0.2) -> GroupCommitQueue<Transaction> {
        GroupCommitQueue<Transaction>(name: "test-queue", maxGroup: maxGroup, maxDelay: maxDelay) { try store.commit($0) }
    }

    /// close(), failing rather than hanging when a lost leader never lets it return.
    func close(_ queue: GroupCommitQueue<Transaction>) {
        let closed = expectation(description: "close() returned")
        Thread {
            queue.close()
            closed.fulfill()
        }.start()
        wait(for: [closed], timeout: 30)
    }

    /// Starts `count` threads running `body(index)`; the returned expectation is met when all returned.
    func threads(_ count: Int, _ body: @escaping @Sendable (Int) -> Void) -> XCTestExpectation {
        let all = expectation(description: "\(count) threads returned")
        all.expectedFulfillmentCount = count
        for t in 0..<count {
            Thread {
                body(t)
                all.fulfill()
            }.start()
        }
        return all
    }

    /// 16 threads x 200 writes, every seventh refused: each write that returned is committed
    /// exactly once, each refused one left nothing and got its own error, every perform
    /// returned (no worker left waiting for a leader), and groups formed.
    func testSixteenThreadsEachCommittedOnceWithRefusalsAmongThem() throws {
        let store = Store()
        store.commitDelay = 200
        let queue = queue(store, maxGroup: 8)
        let refused = Atomic(0)
        let wrong = Atomic(0)
        let done = threads(16) { t in
            for i in 0..<200 {
                let key = "\(t)-\(i)"
                do {
                    try queue.perform { txn in
                        txn.insert(key)
                        if i % 7 == 3 {
                            txn.insert("\(key)-partial")
                            throw Refused(key: key)
                        }
                    }
                    if i % 7 == 3 { wrong.add() }
                } catch let e as Refused where e.key == key && i % 7 == 3 {
                    refused.add()
                } catch { wrong.add() }
            }
        }
        wait(for: [done], timeout: 120)
        close(queue)
        let rows = store.rows
        let expected = (0..<16).flatMap { t in (0..<200).filter { $0 % 7 != 3 }.map { "\(t)-\($0)" } }
        XCTAssertEqual(rows.count, Set(rows).count, "no write committed twice")
        XCTAssertEqual(Set(rows), Set(expected))
        XCTAssertEqual(refused.value, 16 * (0..<200).filter { $0 % 7 == 3 }.count)
        XCTAssertEqual(wrong.value, 0, "every refused write got its own error, every other returned")
        XCTAssertEqual(queue.writes, expected.count)
        XCTAssertEqual(queue.commits, store.groups)
        XCTAssertLessThan(queue.commits, 16 * 200, "no group was ever formed")
    }

    /// The leader's own write is run by the leader: a lone write stays on its caller's thread.
    func testALoneWriteRunsOnItsOwnThread() throws {
        let store = Store()
        let queue = queue(store)
        defer { close(queue) }
        let caller = Thread.current
        let ranOn = try queue.perform { _ in Thread.current }
        XCTAssertTrue(ranOn === caller, "a lone write was handed to another thread")
    }

    /// A leader whose own write throws still commits the rest of its group. The first write
    /// holds the first group until four others wait; the first of those leads the second
    /// group, and its own write is refused.
    func testALeaderWhoseWriteThrowsStillCommitsItsGroup() throws {
        let store = Store()
        let queue = queue(store)
        defer { close(queue) }
        let started = DispatchSemaphore(value: 0)
        let results = Locked<[String: String]>([:])
        let first = threads(1) { _ in
            do {
                try queue.perform { txn in
                    started.signal()
                    let deadline = Date() + 30
                    while queue.waiting < 4 && Date() < deadline { usleep(1_000) }
                    txn.insert("first")
                }
                results.update { $0["first"] = "ok" }
            } catch { results.update { $0["first"] = "\(error)" } }
        }
        XCTAssertEqual(started.wait(timeout: .now() + 30), .success)
        // Queued one after the other, so that "leader" is first and leads the next group.
        var rest: [XCTestExpectation] = []
        for key in ["leader", "a", "b", "c"] {
            rest.append(threads(1) { _ in
                do {
                    try queue.perform { txn in
                        txn.insert(key)
                        if key == "leader" { throw Refused(key: key) }
                    }
                    results.update { $0[key] = "ok" }
                } catch let e as Refused where e.key == key {
                    results.update { $0[key] = "refused" }
                } catch { results.update { $0[key] = "\(error)" } }
            })
            let deadline = Date() + 30
            // (Once the fourth is queued, the first group may commit and take them all.)
            while queue.waiting < rest.count && results.value["first"] == nil && Date() < deadline { usleep(1_000) }
        }
        wait(for: [first] + rest, timeout: 60)
        XCTAssertEqual(results.value, ["first": "ok", "leader": "refused", "a": "ok", "b": "ok", "c": "ok"])
        XCTAssertEqual(store.rows.sorted(), ["a", "b", "c", "first"])
        XCTAssertEqual(queue.commits, 2, "the first write's transaction, then one for the four")
    }

    /// A transaction that fails to commit tells every writer in it, and the next leader
    /// carries on.
    func testAFailedCommitTellsEveryWriterInIt() throws {
        let store = Store()
        let queue = queue(store)
        defer { close(queue) }
        let started = DispatchSemaphore(value: 0)
        let results = Locked<[String: String]>([:])
        func write(_ key: String) -> XCTestExpectation {
            threads(1) { _ in
                do {
                    try queue.perform { txn in
                        if key == "hold" {
                            started.signal()
                            let deadline = Date() + 30
                            while queue.waiting < 3 && Date() < deadline { usleep(1_000) }
                        }
                        txn.insert(key)
                    }
                    results.update { $0[key] = "ok" }
                } catch is CommitFailed { results.update { $0[key] = "failed" } } catch { results.update { $0[key] = "\(error)" } }
            }
        }
        let hold = write("hold")
        XCTAssertEqual(started.wait(timeout: .now() + 30), .success)
        let others = ["x", "fail-commit", "y"].map(write)
        wait(for: [hold] + others, timeout: 60)
        XCTAssertEqual(results.value, ["hold": "ok", "x": "failed", "fail-commit": "failed", "y": "failed"])
        XCTAssertEqual(store.rows, ["hold"])
        try queue.perform { txn in txn.insert("after") }
        XCTAssertEqual(store.rows, ["hold", "after"])
    }

    /// close() while writers keep writing: close returns, every worker returns, each write
    /// that returned is committed, each other was refused with GroupCommitClosed, and
    /// nothing is written after close returned.
    func testCloseDuringLoad() throws {
        let store = Store()
        store.commitDelay = 100
        let queue = queue(store, maxGroup: 4)
        let returned = Locked<[String]>([])
        let wrong = Atomic(0)
        let done = threads(8) { t in
            for i in 0..<100_000 {
                let key = "\(t)-\(i)"
                do {
                    try queue.perform { txn in txn.insert(key) }
                    returned.update { $0.append(key) }
                } catch is GroupCommitClosed {
                    return
                } catch { wrong.add() }
            }
        }
        Thread.sleep(forTimeInterval: 0.3)
        let closed = expectation(description: "close() returned")
        let rowsAtClose = Locked<[String]>([])
        Thread {
            queue.close()
            rowsAtClose.update { $0 = store.rows }
            closed.fulfill()
        }.start()
        wait(for: [closed, done], timeout: 60)
        let atClose = rowsAtClose.value
        XCTAssertEqual(store.rows, atClose, "close() returned only after the last group committed")
        XCTAssertGreaterThan(atClose.count, 0)
        XCTAssertEqual(Set(atClose), Set(returned.value), "returned means committed; refused means not written")
        XCTAssertEqual(atClose.count, returned.value.count)
        XCTAssertEqual(wrong.value, 0)
        XCTAssertThrowsError(try queue.perform { txn in txn.insert("late") }) { XCTAssertTrue($0 is GroupCommitClosed) }
        XCTAssertEqual(store.rows.count, atClose.count)
    }

    /// Deferred rows: they wait for company, but not past the delay (the timer leads a group),
    /// a failed commit keeps them for the next one, and close() commits what is left.
    func testDeferredRowsJoinWaitAndAreRetried() throws {
        let store = Store()
        let slow = queue(store, maxDelay: 60)
        slow.enqueue { txn in txn.insert("waits") }
        Thread.sleep(forTimeInterval: 0.2)
        XCTAssertEqual(store.rows, [], "no transaction of its own yet")
        try slow.perform { txn in txn.insert("sync") }
        XCTAssertEqual(store.rows, ["waits", "sync"], "joined the next transaction, first")
        slow.enqueue { txn in txn.insert("at-close") }
        close(slow)
        XCTAssertEqual(store.rows.last, "at-close", "close() commits what is queued")

        let retried = Store()
        retried.commitFailures = 1
        let quick = queue(retried, maxDelay: 0.05)
        quick.enqueue { txn in txn.insert("fail-commit") }
        quick.enqueue { txn in txn.insert("alone") }
        let deadline = Date() + 10
        while !retried.rows.contains("alone"), Date() < deadline { Thread.sleep(forTimeInterval: 0.01) }
        XCTAssertEqual(retried.rows, ["fail-commit", "alone"], "committed by the timer after a failed try, not lost")
        XCTAssertEqual(quick.lostRows, 0)
        close(quick)
    }
}

/// A value the test threads share.
final class Locked<Value>: @unchecked Sendable {
    private let lock = NSLock()
    private var v: Value
    init(_ v: Value) { self.v = v }
    func update(_ body: (inout Value) -> Void) { lock.withLock { body(&v) } }
    var value: Value { lock.withLock { v } }
}
