import ESTCA
import ESTPostgres
import ESTSQL
import ESTStore

/// PostgreSQL under the one store: a connection per store, each write one READ COMMITTED
/// transaction run again (at most `attempts` times in all) when PostgreSQL aborted it for
/// a deadlock (40P01) or serialization failure (40001). The request path's writes of a
/// `serve` process go to its group-commit queue (GroupCommitQueue) when it has one.
final class PostgresEngine: SQLStoreEngine {
    let db: PGConnection
    /// The process's writer; nil (the CLI, a store of its own) writes on `db`.
    let commits: GroupCommitQueue<PGConnection>?
    /// Times a write transaction is tried before its failure is reported (503).
    static let attempts = 5

    init(db: PGConnection, commits: GroupCommitQueue<PGConnection>? = nil) {
        self.db = db
        self.commits = commits
    }

    var connection: any SQLConnection { db }

    func write<T>(_ body: (any SQLConnection) throws -> T) throws -> T {
        try db.transaction(.readCommitted, attempts: Self.attempts) { try body(db) }
    }

    func commit<T>(_ body: @escaping (any SQLConnection) throws -> T) throws -> T {
        if let commits { return try commits.perform { try body($0) } }
        return try write(body)
    }

    /// Audit rows commit at once: PostgreSQL commits concurrent transactions together.
    func enqueue(_ write: @escaping (any SQLConnection) throws -> Void) -> Bool { false }

    func failure(_ error: any Error) -> StoreError? {
        if error is GroupCommitClosed { return .unavailable("the responder is stopping; try again") }
        return (error as? PGError).map(Self.failure)
    }

    /// An unreachable server, a full disk and a conflict that kept failing are the
    /// operator's to fix or the client's to retry (503), not internal errors.
    static func failure(_ e: PGError) -> StoreError {
        if e.isConnectionFailure { return .unavailable("the CA store (PostgreSQL) is unreachable (\(e.message)); try again later") }
        if e.isDiskFull { return .unavailable("the CA store is full (\(e.message)); try again later") }
        if e.isRetryable { return .unavailable("the CA store is busy (\(e.message)); try again later") }
        return .failed(e.description)
    }
}
