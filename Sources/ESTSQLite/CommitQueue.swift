import Foundation

/// One writer per process, committing in groups.
///
/// Worker threads with a connection each would race for SQLite's single write lock and
/// sleep in its busy handler, and pay one fsync per transaction. Instead every write of
/// the process is handed to this queue: one thread, on a connection of its own, runs all
/// writes queued meanwhile in one transaction (group commit), each inside its own
/// savepoint so that one refused write rolls back alone. `perform` returns only after the
/// transaction holding its rows has committed (and, with `synchronous=FULL`, reached the
/// disk), so "recorded before it is returned" holds.
///
/// Rows that may wait (the audit records of refused requests) are `enqueue`d: they join
/// the next transaction, or commit on their own at most `maxDelay` later, and `close()`
/// commits whatever is left. A refused request therefore costs no fsync of its own.
/// Other processes on the same file (spawn-fcgi, mod_fcgid, the CLI) still serialise
/// through SQLite's lock and busy timeout.
public final class CommitQueue: @unchecked Sendable {
    public typealias Write = (Database) throws -> Void

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
    public struct Closed: Error, CustomStringConvertible {
        public var description: String { "the store is closing" }
    }

    private let db: Database
    private let condition = NSCondition()
    private var jobs: [Job] = []
    private var later: [Write] = []
    private var laterSince: Date?
    private var closing = false
    private var finished = false
    /// Deferred rows that failed to commit (logged at close by the owner).
    public private(set) var lostRows = 0
    /// Transactions committed, and writes they held: the group-commit ratio.
    public private(set) var commits = 0
    public private(set) var writes = 0
    let maxDelay: TimeInterval
    let maxDeferred: Int

    /// Opens the writer's own connection to `path` and starts its thread.
    public init(path: String, maxDelay: TimeInterval = 0.2, maxDeferred: Int = 1000) throws {
        db = try Database(path: path, create: false)
        self.maxDelay = maxDelay
        self.maxDeferred = maxDeferred
        let thread = Thread { [self] in run() }
        thread.name = "estfcgi-writer"
        thread.start()
    }

    /// Runs `body` in the next group transaction and returns its result once that
    /// transaction committed. When `body` throws, its changes are rolled back and the error
    /// is rethrown; when the transaction fails to commit, its error is thrown.
    public func perform<T>(_ body: @escaping (Database) throws -> T) throws -> T {
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
        return result!
    }

    /// At most this many deferred writes wait at once: a flood of refused requests while
    /// another process holds the store's lock must not grow memory without bound. Beyond it
    /// they are dropped and counted in `lostRows` (the request's log line remains).
    public static let maxWaiting = 100_000

    /// Queues a write that may wait up to `maxDelay` for a transaction to join.
    public func enqueue(_ write: @escaping Write) {
        condition.lock()
        defer { condition.unlock() }
        guard !finished, later.count < Self.maxWaiting else {
            lostRows += 1
            return
        }
        later.append(write)
        if laterSince == nil { laterSince = Date() }
        condition.broadcast()
    }

    /// Commits everything queued, then stops the writer; later `perform` calls throw.
    public func close() {
        condition.lock()
        closing = true
        condition.broadcast()
        while !finished { condition.wait() }
        condition.unlock()
    }

    private func run() {
        condition.lock()
        while true {
            while jobs.isEmpty && !closing {
                guard let since = laterSince else {
                    condition.wait()
                    continue
                }
                let due = since.addingTimeInterval(maxDelay)
                if later.count >= maxDeferred || due <= Date() { break }
                condition.wait(until: due)
            }
            if jobs.isEmpty && later.isEmpty && closing { break }
            let batch = jobs
            let deferred = later
            jobs = []
            later = []
            laterSince = nil
            condition.unlock()
            let (committed, lost) = commit(batch, deferred)
            condition.lock()
            if committed {
                commits += 1
                writes += batch.count + deferred.count
            }
            lostRows += lost
            if !committed, !deferred.isEmpty {
                if closing {
                    lostRows += deferred.count
                } else {
                    // Try them again with the next transaction rather than lose them.
                    later = deferred + later
                    laterSince = laterSince ?? Date()
                }
            }
            for job in batch { job.done = true }
            condition.broadcast()
            condition.unlock()
            for job in batch { job.finished.signal() }
            condition.lock()
            if !committed, !closing { condition.wait(until: Date().addingTimeInterval(0.05)) }
        }
        finished = true
        condition.broadcast()
        condition.unlock()
    }

    /// One transaction for `batch` and `deferred`; returns whether it committed and how
    /// many deferred rows failed on their own.
    private func commit(_ batch: [Job], _ deferred: [Write]) -> (Bool, Int) {
        var lost = 0
        do {
            try db.transaction {
                // The deferred rows first: they were queued before the writes that flush them,
                // so that row ids (the audit's order) follow the order of the requests.
                for write in deferred {
                    do { try db.savepoint { try write(db) } } catch {
                        lost += 1
                        // SQLITE_FULL or an I/O error ends the transaction: nothing of it stays.
                        guard db.isInTransaction else { throw error }
                    }
                }
                for job in batch {
                    do { try db.savepoint { try job.write(db) } } catch {
                        job.error = error
                        guard db.isInTransaction else { throw error }
                    }
                }
            }
            return (true, lost)
        } catch {
            // Nothing of this transaction is on disk: every writer in it learns why.
            for job in batch where job.error == nil { job.error = error }
            return (false, 0)
        }
    }
}
