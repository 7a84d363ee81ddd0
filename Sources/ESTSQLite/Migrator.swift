import Foundation

/// Forward-only schema migrations, recorded in `schema_version`. Migration N brings a
/// store from version N-1 to N; each runs in its own transaction with its version bump,
/// so a failure leaves the store at the last version that completed.
public struct Migrator: Sendable {
    public let migrations: [[String]]

    public init(_ migrations: [[String]]) { self.migrations = migrations }

    public var latestVersion: Int { migrations.count }

    public func currentVersion(of db: Database) throws -> Int {
        try db.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")
        if case .integer(let v) = try db.scalar("SELECT max(version) FROM schema_version") { return Int(v) }
        return 0
    }

    /// Applies what is missing; returns the version reached. A store newer than this
    /// binary is refused rather than written to.
    @discardableResult
    public func migrate(_ db: Database) throws -> Int {
        var version = try currentVersion(of: db)
        guard version <= latestVersion else {
            throw SQLiteError(code: 1, message: "store schema version \(version) is newer than this estfcgi (\(latestVersion))")
        }
        // A migration may rebuild a table that others reference (SQLite's "making other kinds
        // of table schema changes", https://sqlite.org/lang_altertable.html): foreign keys are
        // off while it runs (the pragma is a no-op inside a transaction) and checked before
        // it commits.
        guard version < latestVersion else { return version }
        try db.execute("PRAGMA foreign_keys=OFF")
        defer { try? db.execute("PRAGMA foreign_keys=ON") }
        while version < latestVersion {
            version = try db.transaction {
                // Re-read under the write lock: another process may have migrated meanwhile.
                let current = try currentVersion(of: db)
                guard current < latestVersion else { return current }
                // Damage the store had before (doctor reports it) is not this migration's to refuse.
                let before = try db.query("PRAGMA foreign_key_check").count
                for sql in migrations[current] { try db.execute(sql) }
                let after = try db.query("PRAGMA foreign_key_check")
                if after.count > before, let broken = after.last {
                    throw SQLiteError(code: 19, message: "migration \(current + 1) would leave a row of \(broken.string("table") ?? "?") "
                                      + "referencing a missing \(broken.string("parent") ?? "?") row")
                }
                try db.execute("INSERT INTO schema_version (version) VALUES (?)", [current + 1])
                return current + 1
            }
        }
        return version
    }
}
