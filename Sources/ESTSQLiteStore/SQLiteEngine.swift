import ESTCA
import ESTSQL
import ESTSQLite
import ESTStore
import Foundation

/// SQLite under the one store: the store's connection (reads, and the CLI's writes under
/// BEGIN IMMEDIATE), and the process's group-commit writer for the request path.
final class SQLiteEngine: SQLStoreEngine {
    let db: Database
    /// The process's writer; nil (the CLI) writes on `db` directly.
    let commits: GroupCommitQueue<Database>?

    init(db: Database, commits: GroupCommitQueue<Database>?) {
        self.db = db
        self.commits = commits
    }

    var connection: any SQLConnection { db }

    func write<T>(_ body: (any SQLConnection) throws -> T) throws -> T {
        try db.transaction { try body(db) }
    }

    func commit<T>(_ body: @escaping (any SQLConnection) throws -> T) throws -> T {
        if let commits { return try commits.perform { try body($0) } }
        return try write(body)
    }

    func enqueue(_ write: @escaping (any SQLConnection) throws -> Void) -> Bool {
        guard let commits else { return false }
        commits.enqueue { try write($0) }
        return true
    }

    func failure(_ error: any Error) -> StoreError? {
        if let e = error as? SQLiteError { return Self.failure(e) }
        if error is GroupCommitClosed { return .unavailable("the responder is stopping; try again") }
        return nil
    }

    /// A full disk is the operator's to fix and the client's to retry: say so (503),
    /// rather than a bare internal error.
    /// Likewise a store locked by another process for longer than the busy timeout.
    static func failure(_ e: SQLiteError) -> StoreError {
        if e.isFull { return .unavailable("the CA store is full (\(e.message)); try again later") }
        if e.isBusy { return .unavailable("the CA store is busy (\(e.message)); try again later") }
        return .failed(e.description)
    }
}
