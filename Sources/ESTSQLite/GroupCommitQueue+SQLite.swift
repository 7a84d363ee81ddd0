import ESTSQL
import Foundation

/// SQLite's group commit: one process's writes on a connection of its own, each write of
/// a group in its own savepoint so that one refused write rolls back alone. With
/// `synchronous=FULL` a committed group has reached the disk before its writers return.
/// Other processes on the same file (spawn-fcgi, mod_fcgid, the CLI) still serialise
/// through SQLite's lock and busy timeout.
extension GroupCommitQueue where Connection == Database {
    /// Opens the queue's own connection to the store at `path`.
    public convenience init(path: String, maxDelay: TimeInterval = 0.2, maxDeferred: Int = 1000) throws {
        let db = try Self.writerConnection(path: path)
        self.init(name: "estfcgi-writer", maxDelay: maxDelay, maxDeferred: maxDeferred) { group in
            try Self.commit(group, on: db)
        }
    }

    /// The queue's connection to the store at `path`.
    static func writerConnection(path: String) throws -> Database {
        let db = try Database(path: path, create: false)
        // The writer's page cache is the one cache that outlives other connections' commits
        // (a reader drops its own whenever the WAL moves), and every insert walks three
        // randomly keyed indexes (serial, fingerprint, SKI). SQLite's default 2 MiB holds them
        // for a few thousand certificates; at 100,000 each enrollment read 3.5 pages back
        // with pread64 (issue 24, item 5). 32 MiB is an upper bound, filled only as pages
        // are read.
        try db.execute("PRAGMA cache_size=-32768")
        return db
    }

    /// One transaction for `group`; a write that throws is rolled back alone and keeps its
    /// error, unless it ended the transaction (SQLITE_FULL, an I/O error): then nothing of
    /// the group stays and that error is thrown.
    static func commit(_ group: [GroupCommitWrite<Database>], on db: Database) throws {
        try db.transaction {
            for write in group {
                do { try db.savepoint { try write.run(db) } } catch {
                    write.error = error
                    guard db.isInTransaction else { throw error }
                }
            }
        }
    }
}
