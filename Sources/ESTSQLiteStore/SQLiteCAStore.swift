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
    }

    public var schemaVersion: Int { get throws { try read { try Schema.migrator.currentVersion(of: db) } } }

    /// Runs `body` in one transaction, mapping SQLite failures to CAError.
    func write<T>(_ body: () throws -> T) throws -> T {
        do { return try db.transaction(body) }
        catch let e as SQLiteError { throw CAError.internalFailure(e.description) }
    }

    /// Runs reads (or one autocommit statement), mapping SQLite failures to CAError.
    func read<T>(_ body: () throws -> T) throws -> T {
        do { return try body() }
        catch let e as SQLiteError { throw CAError.internalFailure(e.description) }
    }

    /// A stored row that the model refuses (a value this version cannot read).
    static func unreadable(_ what: String, _ detail: Any) -> CAError {
        .internalFailure("store holds an unreadable \(what): \(detail)")
    }
}
