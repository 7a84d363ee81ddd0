import ESTCA
import ESTStoreRecords
import ESTPostgres
import Foundation

/// The CA store in a PostgreSQL database, shared by every responder of every web host
/// pointed at it. One instance per thread (one connection each); `serve` opens one per
/// worker. Same schema, migrations and semantics as SQLiteCAStore.
///
/// Concurrency: each write is one READ COMMITTED transaction that first locks what its
/// checks read (`SELECT ... FOR UPDATE` on the certificate being replaced, the device
/// being claimed; a transaction advisory lock on a bootstrap certificate's use count), so
/// a second writer waits for the first and then sees its commit. Conditional updates
/// (`WHERE status = 'valid'`) re-check the row they change. Unique indexes settle what is
/// inserted at once (serials, device names, open requests). A transaction aborted for a
/// deadlock (40P01) or serialization failure (40001) is run again, at most
/// `attempts` times in all. No commit queue: PostgreSQL has concurrent writers, and its
/// WAL flush already commits concurrent transactions together.
public final class PostgresCAStore: CAStore {
    let db: PGConnection
    /// Times a write transaction is tried before its failure is reported (503).
    static let attempts = 5

    /// Opens the store in the database `conninfo` names (a libpq URI or key=value string);
    /// with `create` its schema is made when missing, else a database without one is refused.
    /// Migrations run when the schema is older, under an advisory lock.
    public init(conninfo: String, create: Bool = false, overrides: [String: String] = [:]) throws {
        do {
            db = try PGConnection(conninfo: conninfo, overrides: overrides)
            if !create, try PostgresSchema.migrator.currentVersion(of: db) == 0 {
                throw CAError.notFound("no estfcgi store in database \(db.databaseName) (run `estfcgi init --db URI` first)")
            }
            try PostgresSchema.migrator.migrate(db)
        } catch let e as PGError {
            throw Self.failure(e)
        }
    }

    public var schemaVersion: Int { get throws { try read { try PostgresSchema.migrator.currentVersion(of: db) } } }
    public static var latestSchemaVersion: Int { PostgresSchema.migrator.latestVersion }
    /// Write transactions run again after a deadlock or serialization failure.
    public var retries: Int { db.retries }

    /// Runs `body` in one READ COMMITTED transaction, run again on 40001/40P01.
    func write<T>(_ body: () throws -> T) throws -> T {
        do { return try db.transaction(.readCommitted, attempts: Self.attempts, body) }
        catch let e as PGError { throw Self.failure(e) }
    }

    /// Runs reads (each statement its own snapshot), mapping failures to CAError.
    func read<T>(_ body: () throws -> T) throws -> T {
        do { return try body() }
        catch let e as PGError { throw Self.failure(e) }
    }

    /// An unreachable server, a full disk and a conflict that kept failing are the
    /// operator's to fix or the client's to retry (503), not internal errors.
    static func failure(_ e: PGError) -> CAError {
        if e.isConnectionFailure { return .unavailable("the CA store (PostgreSQL) is unreachable (\(e.message)); try again later") }
        if e.isDiskFull { return .unavailable("the CA store is full (\(e.message)); try again later") }
        if e.isRetryable { return .unavailable("the CA store is busy (\(e.message)); try again later") }
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

    /// A stored row that the model refuses (a value this version cannot read).
    static func unreadable(_ what: String, _ detail: Any) -> CAError {
        StoreRecords.unreadable(what, detail)
    }

    /// Takes a transaction-scoped advisory lock on `key` (hashed): writers of the same key
    /// wait for each other until commit.
    func lock(_ key: String) throws {
        try db.query("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))", [key])
    }
}
