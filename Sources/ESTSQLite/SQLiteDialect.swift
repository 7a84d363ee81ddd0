internal import CSQLite

/// SQLite's side of the shared SQL: one writer at a time (BEGIN IMMEDIATE, the process's
/// GroupCommitQueue), so no row or advisory locks; violations told by extended result code.
public struct SQLiteDialect: SQLDialect {
    public init() {}

    public var name: String { "SQLite" }

    public func rowLock(_ mode: SQLRowLock) -> String { "" }
    public func advisoryLock(_ key: String, on db: any SQLConnection) throws {}
    /// BEGIN IMMEDIATE already holds the write lock.
    public func migrationLock(on db: any SQLConnection) throws {}

    public func migrating<T>(on db: any SQLConnection, _ body: () throws -> T) throws -> T {
        try db.script("PRAGMA foreign_keys=OFF")
        defer { try? db.script("PRAGMA foreign_keys=ON") }
        return try body()
    }

    public func danglingReferences(on db: any SQLConnection) throws -> [(table: String, parent: String)] {
        try db.rows("PRAGMA foreign_key_check", []).map { (try $0.requiredString("table"), try $0.requiredString("parent")) }
    }

    public func tableExists(_ name: String, on db: any SQLConnection) throws -> Bool {
        try db.count("SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = ?", [name]) > 0
    }

    public func tables(on db: any SQLConnection) throws -> [String] {
        try db.rows("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY name", [])
            .map { try $0.requiredString("name") }
    }

    /// SQLite names an index's violation "index 'NAME'", a table constraint's by its columns
    /// ("UNIQUE constraint failed: t.a, t.b").
    public func isUniqueViolation(_ error: any Error, of key: SQLUniqueKey?) -> Bool {
        guard let e = error as? SQLiteError, e.isUniqueViolation else { return false }
        guard let key else { return true }
        let columns = key.columns.map { "\(key.table).\($0)" }.joined(separator: ", ")
        return e.message.hasSuffix("index '\(key.name)'") || e.message.hasSuffix(": \(columns)")
    }

    /// An INTEGER PRIMARY KEY continues after the highest id by itself.
    public func afterExplicitIDs(table: String, on db: any SQLConnection) throws {}
}
