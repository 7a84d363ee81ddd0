import ESTPostgres
import ESTSQL

/// The store as one responder process uses it on PostgreSQL: a connection per worker for
/// reads, and one writer, shared by all, that commits the request path's writes in groups
/// (GroupCommitQueue), as SQLiteStorePool does on SQLite. Other processes and hosts
/// still write side by side; the server orders them by its row locks.
public final class PostgresStorePool: @unchecked Sendable {
    let conninfo: String
    let overrides: [String: String]
    private let commits: GroupCommitQueue<PGConnection>

    public init(conninfo: String, overrides: [String: String] = [:]) throws {
        self.conninfo = conninfo
        self.overrides = overrides
        do { commits = try GroupCommitQueue(conninfo: conninfo, overrides: overrides) }
        catch let e as PGError { throw PostgresEngine.failure(e) }
    }

    /// A store (and connection) for one worker thread.
    public func makeStore() throws -> PostgresCAStore {
        try PostgresCAStore(conninfo: conninfo, create: false, overrides: overrides, commits: commits)
    }

    /// Transactions the writer committed, and the writes they held.
    public var groupCommits: (commits: Int, writes: Int) { (commits.commits, commits.writes) }

    /// Commits what is queued and refuses later writes. Audit rows commit at once on
    /// PostgreSQL, so none wait: returns 0 (rows lost).
    public func close() -> Int {
        commits.close()
        return 0
    }
}
