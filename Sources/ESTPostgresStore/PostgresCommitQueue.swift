import ESTPostgres
import Foundation

/// One writer per responder process on PostgreSQL, committing in groups, as CommitQueue
/// does on SQLite.
///
/// A worker that wrote on its own connection waited for its own COMMIT (a WAL flush) and a
/// round trip for BEGIN and for COMMIT: with a few workers the flushes, not the CPU, set
/// the pace (bench/run --postgres: 0.58 to 0.76 of SQLite's enrollments/s). Here the
/// workers hand their write transactions to one thread, which runs every write queued
/// meanwhile in one READ COMMITTED transaction on a connection of its own and commits
/// once; `perform` returns only after that COMMIT, so "recorded before it is answered"
/// holds. Each write still locks what its checks read (SQLCAStore.recordIssued) and sees
/// the writes before it in the group, as one after the other.
///
/// A write that throws (a refusal, a serial collision) must not take the others down: the
/// group is rolled back and run again without it, each write then in a savepoint of its
/// own. A deadlock or serialization failure runs the whole group again (at most `attempts`
/// times), as PostgresEngine does for one write. Other processes and hosts write
/// concurrently, as before.
final class PostgresCommitQueue: @unchecked Sendable {
    typealias Write = (PGConnection) throws -> Void

    private final class Job {
        let write: Write
        var done = false
        var error: (any Error)?
        /// Signalled once `done`: only this job's worker wakes (a broadcast woke every
        /// waiting worker for every write handed over and every group committed).
        let finished = DispatchSemaphore(value: 0)
        init(_ write: @escaping Write) { self.write = write }
    }

    /// Thrown by `perform` once `close()` has begun.
    struct Closed: Error, CustomStringConvertible {
        var description: String { "the store is closing" }
    }

    /// A write of the group threw on its own; the group is run again without it.
    private struct WriteRefused: Error {}

    private let db: PGConnection
    private let condition = NSCondition()
    private var jobs: [Job] = []
    private var closing = false
    private var finished = false
    /// Transactions committed, and writes they held: the group-commit ratio.
    private(set) var commits = 0
    private(set) var writes = 0
    /// Groups run again after a deadlock or serialization failure.
    private(set) var retries = 0
    /// Times a group is tried before its failure is reported (as PostgresEngine.attempts).
    static let attempts = 5
    /// At most this many writes in one transaction: a longer one holds its locks longer.
    static let maxGroup = 64

    /// Writes handed over and not yet taken into a group (tests).
    var waiting: Int { condition.withLock { jobs.count } }

    init(conninfo: String, overrides: [String: String] = [:]) throws {
        db = try PGConnection(conninfo: conninfo, overrides: overrides)
        let thread = Thread { [self] in run() }
        thread.name = "estfcgi-pg-writer"
        thread.start()
    }

    /// Runs `body` in the next group transaction and returns its result once that
    /// transaction committed; when `body` throws, its changes are rolled back and the error
    /// rethrown; when the group cannot commit, its error is thrown.
    func perform<T>(_ body: @escaping (PGConnection) throws -> T) throws -> T {
        var result: T?
        let job = Job { db in result = try body(db) }
        condition.lock()
        guard !closing else {
            condition.unlock()
            throw Closed()
        }
        jobs.append(job)
        // Workers wait on their job's semaphore; what waits on the condition is the writer
        // (and `close`, which only waits once `closing` keeps new writes out).
        condition.signal()
        condition.unlock()
        job.finished.wait()
        if let error = job.error { throw error }
        guard let result else { throw Closed() }  // a write that neither threw nor ran: not reached
        return result
    }

    /// Commits what is queued, then stops the writer; later `perform` calls throw.
    func close() {
        condition.lock()
        closing = true
        condition.broadcast()
        while !finished { condition.wait() }
        condition.unlock()
    }

    private func run() {
        condition.lock()
        while true {
            while jobs.isEmpty && !closing { condition.wait() }
            if jobs.isEmpty && closing { break }
            let batch = Array(jobs.prefix(Self.maxGroup))
            jobs.removeFirst(batch.count)
            condition.unlock()
            let committed = commit(batch)
            condition.lock()
            if committed {
                commits += 1
                writes += batch.filter { $0.error == nil }.count
            }
            for job in batch { job.done = true }
            condition.broadcast()
            condition.unlock()
            for job in batch { job.finished.signal() }
            condition.lock()
        }
        finished = true
        condition.broadcast()
        condition.unlock()
    }

    /// One transaction for the writes of `batch` that do not fail on their own; sets each
    /// job's error. Returns whether a transaction committed.
    private func commit(_ batch: [Job]) -> Bool {
        var pending = batch
        var isolated = false  // each write in a savepoint (after one of the group threw)
        var attempt = 1
        while !pending.isEmpty {
            do {
                try db.transaction(.readCommitted) {
                    for job in pending {
                        guard isolated else {
                            do { try job.write(db) } catch let e as PGError where e.isRetryable || e.isConnectionFailure {
                                throw e
                            } catch {
                                job.error = error
                                throw WriteRefused()
                            }
                            continue
                        }
                        try db.script("SAVEPOINT estfcgi_write")
                        do {
                            try job.write(db)
                            try db.script("RELEASE SAVEPOINT estfcgi_write")
                        } catch let e as PGError where e.isRetryable || e.isConnectionFailure {
                            throw e
                        } catch {
                            job.error = error
                            try db.script("ROLLBACK TO SAVEPOINT estfcgi_write")
                            try db.script("RELEASE SAVEPOINT estfcgi_write")
                        }
                    }
                }
                return true
            } catch is WriteRefused {
                pending.removeAll { $0.error != nil }
                isolated = true
            } catch let e as PGError where e.isRetryable && attempt < Self.attempts {
                for job in pending { job.error = nil }
                retries += 1
                attempt += 1
                usleep(UInt32.random(in: 1_000...(5_000 * UInt32(attempt))))
            } catch {
                // Nothing of this group is in the database: every write in it learns why.
                for job in pending { job.error = error }
                return false
            }
        }
        return false
    }
}
