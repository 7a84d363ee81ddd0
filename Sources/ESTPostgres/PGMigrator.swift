import Foundation

/// Forward-only schema migrations, recorded in `schema_version` (as ESTSQLite's Migrator).
/// Migration N brings a database from version N-1 to N, each in its own transaction with
/// its version bump. Every migrating transaction first takes a transaction-scoped advisory
/// lock, so two hosts starting at once apply each migration once: the second waits, then
/// re-reads the version and finds nothing left to do.
public struct PGMigrator: Sendable {
    public let migrations: [[String]]
    /// The advisory lock key (one per application sharing a database).
    public let lockKey: Int64

    public init(_ migrations: [[String]], lockKey: Int64) {
        self.migrations = migrations
        self.lockKey = lockKey
    }

    public var latestVersion: Int { migrations.count }

    /// 0 when the database has no `schema_version` table (no store yet).
    public func currentVersion(of db: PGConnection) throws -> Int {
        guard case .bool(true) = try db.scalar("SELECT to_regclass('schema_version') IS NOT NULL") else { return 0 }
        if case .integer(let v) = try db.scalar("SELECT coalesce(max(version), 0)::bigint FROM schema_version") { return Int(v) }
        return 0
    }

    /// Applies what is missing; returns the version reached. A store newer than this
    /// binary is refused rather than written to.
    @discardableResult
    public func migrate(_ db: PGConnection) throws -> Int {
        var version = try currentVersion(of: db)
        guard version <= latestVersion else {
            throw PGError(sqlState: "XX000", message: "store schema version \(version) is newer than this estfcgi (\(latestVersion))")
        }
        while version < latestVersion {
            version = try db.transaction {
                try db.query("SELECT pg_advisory_xact_lock($1)", [lockKey])
                try db.script("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")
                // Re-read under the lock: another host may have migrated meanwhile.
                let current = try currentVersion(of: db)
                guard current < latestVersion else { return current }
                for sql in migrations[current] { try db.script(sql) }
                try db.execute("INSERT INTO schema_version (version) VALUES ($1)", [current + 1])
                return current + 1
            }
        }
        return version
    }
}
