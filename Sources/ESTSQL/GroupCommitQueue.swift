import Foundation

/// The writes of one responder process, committed in groups on one connection, on either
/// engine (SQLite: `GroupCommitQueue(path:)`; PostgreSQL: `GroupCommitQueue(conninfo:)`).
///
/// Workers with a transaction each would pay one flush (fsync, WAL flush) per write, and on
/// SQLite race for its single write lock. Here every write of the process goes through one
/// connection; the writes queued while a group commits go together into the next
/// transaction. How a group runs in one transaction is the engine's (`commit`): SQLite runs
/// each write in a savepoint, PostgreSQL the whole group and then, after a refusal, each
/// in a savepoint, run again after a deadlock. The runner sets the error of a write that
/// failed on its own (rolled back alone) and throws when the transaction did not commit.
///
/// Leader-follower, no writer thread: a worker calling `perform` queues its write; when no
/// group is being committed it leads: it commits what is queued (at most `maxGroup`
/// writes, its own first) on the queue's connection in its own thread, wakes only the
/// workers whose writes that transaction held, and, when writes arrived meanwhile, wakes
/// the first of their workers to lead the next group. A lone write thus costs no thread
/// switch, and a group one wake per follower. Leadership passes only under the lock, to a
/// worker still waiting, so no write waits for a leader that has gone.
///
/// `perform` returns only after the transaction holding its rows committed, so "recorded
/// before it is answered" holds. Rows that may wait (the audit records of refused requests)
/// are `enqueue`d: they join the next transaction, or commit on their own at most `maxDelay`
/// later (a timer thread, started by the first such row, leads a group then), and `close()`
/// commits whatever is left. A refused request therefore costs no flush of its own.
public final class GroupCommitQueue<Connection>: @unchecked Sendable {
    public typealias Write = (Connection) throws -> Void
    typealias Job = GroupCommitWrite<Connection>

    private let commitGroup: ([Job]) throws -> Void
    private let condition = NSCondition()
    private var jobs: [Job] = []
    private var later: [Job] = []
    private var laterSince: Date?
    /// A worker (or the timer) is committing a group, or has been woken to.
    private var leading = false
    private var closing = false
    private var closed = false
    private var timerStarted = false
    /// Deferred rows that failed to commit (logged at close by the owner).
    public private(set) var lostRows = 0
    /// Transactions committed, and the writes they held that committed: the group-commit ratio.
    public private(set) var commits = 0
    public private(set) var writes = 0
    /// At most this many `perform` writes in one transaction: a longer one holds its locks longer.
    public let maxGroup: Int
    let maxDelay: TimeInterval
    let maxDeferred: Int
    let name: String

    /// At most this many deferred writes wait at once: a flood of refused requests while
    /// another process holds the store's lock must not grow memory without bound. Beyond it
    /// they are dropped and counted in `lostRows` (the request's log line remains).
    public static var maxWaiting: Int { 100_000 }

    /// `commit` runs a group in one transaction on the engine's connection (see above); it
    /// is only ever called by one thread at a time.
    public init(name: String, maxGroup: Int = .max, maxDelay: TimeInterval = 0.2, maxDeferred: Int = 1000,
                commit: @escaping ([GroupCommitWrite<Connection>]) throws -> Void) {
        self.name = name
        self.maxGroup = max(1, maxGroup)
        self.maxDelay = maxDelay
        self.maxDeferred = maxDeferred
        commitGroup = commit
    }

    /// Writes queued and not yet taken into a group (tests).
    public var waiting: Int { condition.withLock { jobs.count } }

    /// Runs `body` in the next group transaction and returns its result once that
    /// transaction committed. When `body` throws, its changes are rolled back and the error
    /// is rethrown; when the transaction fails to commit, its error is thrown.
    public func perform<T>(_ body: @escaping (Connection) throws -> T) throws -> T {
        var result: T?
        let job = Job { c in result = try body(c) }
        condition.lock()
        guard !closing else {
            condition.unlock()
            throw GroupCommitClosed()
        }
        jobs.append(job)
        if leading {
            condition.unlock()
            // Woken once: either its transaction ended (`done`), or to lead the next group,
            // which then holds this write first.
            job.woken.wait()
            if !job.done { lead(job) }
        } else {
            leading = true
            condition.unlock()
            lead(job)
        }
        if let error = job.error { throw error }
        guard let result else { throw GroupCommitClosed() }  // a write that neither threw nor ran: not reached
        return result
    }

    /// Queues a write that may wait up to `maxDelay` for a transaction to join.
    public func enqueue(_ write: @escaping Write) {
        condition.lock()
        defer { condition.unlock() }
        guard !closed, later.count < Self.maxWaiting else {
            lostRows += 1
            return
        }
        later.append(Job(write))
        if !timerStarted {
            timerStarted = true
            let thread = Thread { [self] in timer() }
            thread.name = "\(name)-timer"
            thread.start()
        }
        // The timer sleeps until the first row is due; wake it to learn when that is, or
        // when enough rows wait to commit them now.
        if laterSince == nil || later.count >= maxDeferred {
            if laterSince == nil { laterSince = Date() }
            condition.broadcast()
        }
    }

    /// Commits everything queued, then refuses: later `perform` calls throw `GroupCommitClosed`.
    public func close() {
        condition.lock()
        closing = true
        while true {
            // Writes queued before `closing` are committed by the leaders in turn; the last
            // one to find nothing more queued ends leadership and wakes this.
            while leading { condition.wait() }
            if later.isEmpty { break }
            leading = true
            condition.unlock()
            lead(nil)
            condition.lock()
        }
        closed = true
        condition.broadcast()
        condition.unlock()
    }

    /// Leads one group: what is queued (up to `maxGroup` writes, `own` first) and every
    /// deferred row. Called with `leading` set by this thread, the lock not held.
    private func lead(_ own: Job?) {
        condition.lock()
        let batch = Array(jobs.prefix(maxGroup))
        jobs.removeFirst(batch.count)
        // The deferred rows first: they were queued before the writes that flush them, so
        // that row ids (the audit's order) follow the order of the requests.
        let deferred = later
        later = []
        laterSince = nil
        condition.unlock()

        var failure: (any Error)?
        do { try commitGroup(deferred + batch) } catch { failure = error }

        condition.lock()
        if let failure {
            // Nothing of this transaction is stored: every writer in it learns why.
            for job in batch where job.error == nil { job.error = failure }
            if !deferred.isEmpty {
                if closing {
                    lostRows += deferred.count
                } else {
                    // Try them again with a later transaction rather than lose them.
                    for row in deferred { row.error = nil }
                    later = deferred + later
                    laterSince = laterSince ?? Date()
                }
            }
        } else {
            commits += 1
            writes += batch.count(where: { $0.error == nil }) + deferred.count(where: { $0.error == nil })
            lostRows += deferred.count(where: { $0.error != nil })
        }
        for job in batch { job.done = true }
        // The next leader is a worker still waiting: it holds the first write queued.
        let next = jobs.first
        if next == nil {
            leading = false
            // close() waits for the last leader; the timer for rows queued meanwhile.
            if closing || !later.isEmpty { condition.broadcast() }
        }
        condition.unlock()
        next?.woken.signal()
        for job in batch where job !== own { job.woken.signal() }
    }

    /// Commits deferred rows that no `perform` took along, once the first is `maxDelay` old
    /// (or `maxDeferred` wait): it leads a group like any worker.
    private func timer() {
        condition.lock()
        while !closed {
            guard let since = laterSince, !leading, !later.isEmpty else {
                condition.wait()
                continue
            }
            let due = since.addingTimeInterval(maxDelay)
            if later.count < maxDeferred && Date() < due {
                condition.wait(until: due)
                continue
            }
            leading = true
            condition.unlock()
            lead(nil)
            condition.lock()
        }
        condition.unlock()
    }
}
