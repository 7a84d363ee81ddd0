/// What truly differs between the engines' SQL, where one text cannot serve both. Both
/// take `?` parameters, `RETURNING`, `ON CONFLICT DO NOTHING`, `IS NOT DISTINCT FROM` and
/// `TRUE` (SQLite since 3.35; Debian 12 has 3.40), so the store's statements are shared.
public protocol SQLDialect: Sendable {
    /// The engine's name for messages ("SQLite", "PostgreSQL").
    var name: String { get }
    /// The clause appended to a SELECT to lock what it reads ("" where writers are serial).
    func rowLock(_ mode: SQLRowLock) -> String
    /// Takes a transaction-scoped lock on `key`: writers of the same key wait for each
    /// other until commit. Nothing where writers are serial already.
    func advisoryLock(_ key: String, on db: any SQLConnection) throws
    /// The lock a migrating transaction takes first, so that two hosts starting at once
    /// apply each migration once.
    func migrationLock(on db: any SQLConnection) throws
    /// Runs `body` (every migrating transaction) with what a schema change that rebuilds a
    /// referenced table needs: SQLite's foreign keys off around it (the pragma is a no-op
    /// inside a transaction; https://sqlite.org/lang_altertable.html), on again after.
    func migrating<T>(on db: any SQLConnection, _ body: () throws -> T) throws -> T
    /// Rows referencing a missing parent, as (table, parent), where the engine lets them
    /// exist (SQLite with foreign keys off); [] where it never does.
    func danglingReferences(on db: any SQLConnection) throws -> [(table: String, parent: String)]
    /// Whether the connected database has a table `name`.
    func tableExists(_ name: String, on db: any SQLConnection) throws -> Bool
    /// The connected store's tables (its own schema only).
    func tables(on db: any SQLConnection) throws -> [String]
    /// Whether `error` is a UNIQUE violation: of `key` when given, else of any key.
    func isUniqueViolation(_ error: any Error, of key: SQLUniqueKey?) -> Bool
    /// After rows were inserted with their ids: what makes new ids continue after them.
    func afterExplicitIDs(table: String, on db: any SQLConnection) throws
    /// After a bulk load of `tables` (store copy) has committed: what the engine's planner
    /// needs to know of them.
    func afterBulkLoad(tables: [String], on db: any SQLConnection) throws
}

extension SQLDialect {
    /// Nothing: SQLite plans without statistics unless ANALYZE ever ran.
    public func afterBulkLoad(tables: [String], on db: any SQLConnection) throws {}
}
