import ESTSQL
import ESTSQLite

/// The store as one responder process uses it: a connection per worker for reads and one
/// writer, shared by all, that commits the request path's writes in groups (GroupCommitQueue).
public final class SQLiteStorePool: @unchecked Sendable {
    let path: String
    let commits: GroupCommitQueue<Database>

    public init(path: String) throws {
        self.path = path
        do { commits = try GroupCommitQueue(path: path) } catch let e as SQLiteError { throw SQLiteEngine.failure(e) }
    }

    /// A store for one worker thread.
    public func makeStore() throws -> SQLiteCAStore {
        try SQLiteCAStore(path: path, commits: commits)
    }

    /// Commits what is still queued and refuses later writes; returns how many queued audit
    /// records could not be written.
    public func close() -> Int {
        commits.close()
        return commits.lostRows
    }
}
