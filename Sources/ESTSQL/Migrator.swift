/// Forward-only schema migrations, recorded in `schema_version`, on either engine.
/// Migration N brings a store from version N-1 to N; each runs in its own transaction with
/// its version bump (after the dialect's migration lock), so a failure leaves the store at
/// the last version that completed and two hosts starting at once apply it once.
///
/// A `baseline` creates the schema of version `baseline.version` in one step for a new
/// store (an engine whose stores all began at that version needs no history before it);
/// `migrations` then continue from there. A store between 0 and the baseline is refused.
public struct Migrator: Sendable {
    public struct Baseline: Sendable {
        public let version: Int
        public let statements: [String]
        public init(version: Int, statements: [String]) {
            self.version = version
            self.statements = statements
        }
    }

    public let baseline: Baseline?
    public let migrations: [[String]]

    public init(_ migrations: [[String]], baseline: Baseline? = nil) {
        self.migrations = migrations
        self.baseline = baseline
    }

    public var latestVersion: Int { (baseline?.version ?? 0) + migrations.count }

    /// 0 when the database has no `schema_version` table (no store yet).
    public func currentVersion(of db: any SQLConnection) throws -> Int {
        guard try db.dialect.tableExists("schema_version", on: db) else { return 0 }
        if case .integer(let v) = try db.value("SELECT coalesce(max(version), 0) FROM schema_version") { return Int(v) }
        return 0
    }

    /// Applies what is missing; returns the version reached. A store newer than this
    /// binary is refused rather than written to.
    @discardableResult
    public func migrate(_ db: any SQLConnection) throws -> Int {
        var version = try currentVersion(of: db)
        guard version <= latestVersion else {
            throw MigrationError("store schema version \(version) is newer than this estfcgi (\(latestVersion))")
        }
        guard version < latestVersion else { return version }
        return try db.dialect.migrating(on: db) {
            while version < latestVersion {
                version = try db.inTransaction {
                    try db.dialect.migrationLock(on: db)
                    try db.script("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")
                    // Re-read under the lock: another process may have migrated meanwhile.
                    let current = try currentVersion(of: db)
                    guard current < latestVersion else { return current }
                    let (statements, reached) = try step(from: current)
                    // Damage the store had before (doctor reports it) is not this migration's to refuse.
                    let before = try db.dialect.danglingReferences(on: db).count
                    for sql in statements { try db.script(sql) }
                    let after = try db.dialect.danglingReferences(on: db)
                    if after.count > before, let broken = after.last {
                        throw MigrationError("migration \(reached) would leave a row of \(broken.table) referencing a missing \(broken.parent) row")
                    }
                    try db.run("INSERT INTO schema_version (version) VALUES (?)", [reached])
                    return reached
                }
            }
            return version
        }
    }

    /// What brings a store at `current` forward, and the version it then has.
    private func step(from current: Int) throws -> ([String], Int) {
        guard let baseline else { return (migrations[current], current + 1) }
        if current == 0 { return (baseline.statements, baseline.version) }
        guard current >= baseline.version else {
            throw MigrationError("store schema version \(current) predates this estfcgi's first (\(baseline.version)); it cannot be migrated")
        }
        return (migrations[current - baseline.version], current + 1)
    }
}
