import ESTCA
import ESTSQL
import ESTSQLite
import ESTStore
import Foundation

/// The CA store in one SQLite file. One instance per thread (one connection each, for
/// reads); several processes may open the same file. The instances of one process share
/// a `GroupCommitQueue` for the writes of the request path (issuance and audit). Every store
/// operation is SQLCAStore's; this is the file, its schema and its checks.
public final class SQLiteCAStore: SQLCAStore {
    let db: Database

    /// Opens the store; with `create` the file and schema are made when missing.
    public init(path: String, create: Bool = false, commits: GroupCommitQueue<Database>? = nil) throws {
        if !create, !FileManager.default.fileExists(atPath: path) {
            throw StoreError.notFound("no store at \(path) (run `estfcgi init --db \(path)` first)")
        }
        do {
            db = try Database(path: path, create: create)
            try Schema.migrator.migrate(db)
        } catch let e as SQLiteError {
            // A file another process holds locked is busy (503), as it is for a read.
            throw SQLiteEngine.failure(e)
        } catch let e as MigrationError {
            throw StoreError.failed(e.message)
        }
        super.init(engine: SQLiteEngine(db: db, commits: commits))
        // The store holds every issued certificate and the encrypted CA keys: owner (and a
        // web server group) only. `init` repairs the mode; everything else refuses to use it.
        for file in [path, path + "-wal", path + "-shm"] where FileManager.default.fileExists(atPath: file) {
            var st = stat()
            guard stat(file, &st) == 0, st.st_mode & 0o007 != 0 else { continue }
            if create, chmod(file, 0o600) == 0 { continue }
            throw StoreError.failed("store file \(file) is open to others (mode \(String(st.st_mode & 0o777, radix: 8))): chmod 600 it, or run estfcgi init")
        }
    }

    public override var migrator: Migrator { Schema.migrator }

    /// A connection of its own to the file at `path`, below the store (for `store copy`).
    public static func connection(path: String) throws -> any SQLConnection {
        do { return try Database(path: path, create: false) } catch let e as SQLiteError { throw SQLiteEngine.failure(e) }
    }

    /// `PRAGMA quick_check`: nil when the file is sound, else what SQLite found.
    public func quickCheck() throws -> String? {
        try read { _ in
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
}
