import ESTCA
import ESTPostgres
import ESTSQL
import ESTStore
import Foundation

/// The CA store in a PostgreSQL database, shared by every responder of every web host
/// pointed at it. One instance per thread (one connection each); `serve` opens one per
/// worker. Every store operation is SQLCAStore's (the same statements as on SQLite, with
/// the row locks PostgreSQL's concurrent writers need); this is the connection, the schema
/// and the retried READ COMMITTED transactions (PostgresEngine).
public final class PostgresCAStore: SQLCAStore {
    let db: PGConnection

    /// Opens the store in the database `conninfo` names (a libpq URI or key=value string);
    /// with `create` its schema is made when missing, else a database without one is refused.
    /// Migrations run when the schema is older, under an advisory lock.
    public convenience init(conninfo: String, create: Bool = false, overrides: [String: String] = [:]) throws {
        try self.init(conninfo: conninfo, create: create, overrides: overrides, commits: nil)
    }

    /// A store whose request-path writes go to `commits` (one per process: PostgresStorePool).
    init(conninfo: String, create: Bool, overrides: [String: String], commits: GroupCommitQueue<PGConnection>?) throws {
        do {
            db = try PGConnection(conninfo: conninfo, overrides: overrides)
            if !create, try PostgresSchema.migrator.currentVersion(of: db) == 0 {
                throw StoreError.notFound("no estfcgi store in database \(db.databaseName) (run `estfcgi init --db URI` first)")
            }
            try PostgresSchema.migrator.migrate(db)
        } catch let e as PGError {
            throw PostgresEngine.failure(e)
        } catch let e as MigrationError {
            throw StoreError.failed(e.message)
        }
        super.init(engine: PostgresEngine(db: db, commits: commits))
    }

    public override var migrator: Migrator { PostgresSchema.migrator }
    public static var latestSchemaVersion: Int { PostgresSchema.migrator.latestVersion }
    /// Write transactions run again after a deadlock or serialization failure.
    public var retries: Int { db.retries }

    /// A connection of its own to the database `conninfo` names, below the store (for
    /// `store copy`).
    public static func connection(conninfo: String, overrides: [String: String] = [:]) throws -> any SQLConnection {
        do { return try PGConnection(conninfo: conninfo, overrides: overrides) } catch let e as PGError { throw PostgresEngine.failure(e) }
    }

    /// Whether `string` is meant for PostgreSQL: a `postgresql://` or `postgres://` URI.
    public static func isURI(_ string: String) -> Bool { PGConnection.isURI(string) }

    /// The parameters libpq reads from a connection string; a string it cannot parse is
    /// a bad request naming why.
    public static func parameters(of conninfo: String) throws -> [String: String] {
        do { return try PGConnection.parameters(of: conninfo) } catch let e as PGError { throw StoreError.conflict("--db: \(e.message)") }
    }
}
