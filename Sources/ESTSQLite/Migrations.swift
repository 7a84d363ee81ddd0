import Foundation

/// Forward-only schema migrations, recorded in `schema_version`. Migration N brings a
/// store from version N-1 to N; each runs in its own transaction with its version bump.
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
        try db.transaction {
            let current = try currentVersion(of: db)
            guard current <= latestVersion else {
                throw SQLiteError(code: 1, message: "store schema version \(current) is newer than this estfcgi (\(latestVersion))")
            }
            for version in (current + 1)...max(current + 1, latestVersion) where version <= latestVersion {
                for sql in migrations[version - 1] { try db.execute(sql) }
                try db.execute("INSERT INTO schema_version (version) VALUES (?)", [version])
            }
            return latestVersion
        }
    }
}
