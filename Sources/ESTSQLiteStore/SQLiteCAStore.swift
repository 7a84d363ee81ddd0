import ESTCA
import ESTStoreRecords
import ESTSQLite
import Foundation

/// The CA store in one SQLite file. One instance per thread (one connection each, for
/// reads); several processes may open the same file. The instances of one process share
/// a `CommitQueue` for the writes of the request path (issuance and audit).
public final class SQLiteCAStore: CAStore {
    let db: Database
    /// The process's writer; nil (the CLI) writes on `db` directly.
    let commits: CommitQueue?

    /// Opens the store; with `create` the file and schema are made when missing.
    public init(path: String, create: Bool = false, commits: CommitQueue? = nil) throws {
        self.commits = commits
        if !create, !FileManager.default.fileExists(atPath: path) {
            throw CAError.notFound("no store at \(path) (run `estfcgi init --db \(path)` first)")
        }
        do {
            db = try Database(path: path, create: create)
            try Schema.migrator.migrate(db)
        } catch let e as SQLiteError {
            // A file another process holds locked is busy (503), as it is for a read.
            throw Self.failure(e)
        }
        // The store holds every issued certificate and the encrypted CA keys: owner (and a
        // web server group) only. `init` repairs the mode; everything else refuses to use it.
        for file in [path, path + "-wal", path + "-shm"] where FileManager.default.fileExists(atPath: file) {
            var st = stat()
            guard stat(file, &st) == 0, st.st_mode & 0o007 != 0 else { continue }
            if create, chmod(file, 0o600) == 0 { continue }
            throw CAError.internalFailure("store file \(file) is open to others (mode \(String(st.st_mode & 0o777, radix: 8))): chmod 600 it, or run estfcgi init")
        }
    }

    public var schemaVersion: Int { get throws { try read { try Schema.migrator.currentVersion(of: db) } } }

    /// Runs `body` in one transaction, mapping SQLite failures to CAError.
    func write<T>(_ body: () throws -> T) throws -> T {
        do { return try db.transaction(body) }
        catch let e as SQLiteError { throw Self.failure(e) }
    }

    /// Runs `body` in a transaction of the process's writer (group commit) when there is
    /// one, else in a transaction of its own; returns after it committed.
    func commit<T>(_ body: @escaping (Database) throws -> T) throws -> T {
        do {
            if let commits { return try commits.perform(body) }
            return try db.transaction { try body(db) }
        } catch let e as SQLiteError {
            throw Self.failure(e)
        } catch is CommitQueue.Closed {
            throw CAError.unavailable("the responder is stopping; try again")
        }
    }

    /// Runs reads (or one autocommit statement), mapping SQLite failures to CAError.
    func read<T>(_ body: () throws -> T) throws -> T {
        do { return try body() }
        catch let e as SQLiteError { throw Self.failure(e) }
    }

    /// A full disk is the operator's to fix and the client's to retry: say so (503),
    /// rather than a bare internal error.
    /// Likewise a store locked by another process for longer than the busy timeout.
    static func failure(_ e: SQLiteError) -> CAError {
        if e.isFull { return .unavailable("the CA store is full (\(e.message)); try again later") }
        if e.isBusy { return .unavailable("the CA store is busy (\(e.message)); try again later") }
        return .internalFailure(e.description)
    }

    public func materialVersion() throws -> Int64 {
        try read {
            guard case .integer(let v) = try db.scalar("SELECT value FROM material_version WHERE id = 1") else {
                throw Self.unreadable("material version", "no row")
            }
            return v
        }
    }

    /// `PRAGMA quick_check`: nil when the file is sound, else what SQLite found.
    public func quickCheck() throws -> String? {
        try read {
            let lines = try db.query("PRAGMA quick_check").map { row -> String in
                if case .text(let line)? = row.values.first { return line }
                return "\(row.values)"
            }
            if lines == ["ok"] { return nil }
            // One line for the error log: SQLite puts several findings in one row.
            let findings = lines.flatMap { $0.split(whereSeparator: \.isNewline) }.filter { !$0.hasPrefix("***") }
            return findings.prefix(3).joined(separator: "; ")
        }
    }

    /// A stored row that the model refuses (a value this version cannot read).
    static func unreadable(_ what: String, _ detail: Any) -> CAError {
        StoreRecords.unreadable(what, detail)
    }
}
