import ESTCA
import ESTSQLite
import Foundation

/// The CA store in one SQLite file. One instance per thread (one connection each);
/// several processes may open the same file.
public final class SQLiteCAStore: CAStore {
    let db: Database

    /// Opens the store; with `create` the file and schema are made when missing.
    public init(path: String, create: Bool = false) throws {
        if !create, !FileManager.default.fileExists(atPath: path) {
            throw CAError.notFound("no store at \(path) (run `estfcgi init --db \(path)` first)")
        }
        do {
            db = try Database(path: path, create: create)
            try Schema.migrator.migrate(db)
        } catch let e as SQLiteError {
            throw CAError.internalFailure(e.message)
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

    /// Runs reads (or one autocommit statement), mapping SQLite failures to CAError.
    func read<T>(_ body: () throws -> T) throws -> T {
        do { return try body() }
        catch let e as SQLiteError { throw Self.failure(e) }
    }

    /// A full disk is the operator's to fix and the client's to retry: say so (503),
    /// rather than a bare internal error.
    static func failure(_ e: SQLiteError) -> CAError {
        e.isFull ? .unavailable("the CA store is full (\(e.message)); try again later") : .internalFailure(e.description)
    }

    /// A stored row that the model refuses (a value this version cannot read).
    static func unreadable(_ what: String, _ detail: Any) -> CAError {
        .internalFailure("store holds an unreadable \(what): \(detail)")
    }
}
