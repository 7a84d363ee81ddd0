/// PostgreSQL's side of the shared SQL: writers run side by side, so a transaction locks
/// what its checks read (row locks, transaction-scoped advisory locks); violations told by
/// SQLSTATE and constraint name.
public struct PostgresDialect: SQLDialect {
    /// `pg_advisory_xact_lock` key of estfcgi's migrations ("estfcgi" in ASCII).
    public static let migrationLockKey: Int64 = 0x65_73_74_66_63_67_69

    public init() {}

    public var name: String { "PostgreSQL" }

    public func rowLock(_ mode: SQLRowLock) -> String {
        switch mode {
        case .noKeyUpdate: return " FOR NO KEY UPDATE"
        case .update: return " FOR UPDATE"
        case .share: return " FOR SHARE"
        case .keyShare: return " FOR KEY SHARE"
        }
    }

    public func advisoryLock(_ key: String, on db: any SQLConnection) throws {
        _ = try db.rows("SELECT pg_advisory_xact_lock(hashtextextended(?, 0))", [key])
    }

    public func migrationLock(on db: any SQLConnection) throws {
        _ = try db.rows("SELECT pg_advisory_xact_lock(?)", [Self.migrationLockKey])
    }

    /// DDL checks foreign keys as it runs.
    public func migrating<T>(on db: any SQLConnection, _ body: () throws -> T) throws -> T { try body() }
    public func danglingReferences(on db: any SQLConnection) throws -> [(table: String, parent: String)] { [] }

    /// In the schema the connection's search_path names first.
    public func tableExists(_ name: String, on db: any SQLConnection) throws -> Bool {
        try db.count("""
            SELECT count(*) FROM pg_class WHERE relname = ? AND relkind IN ('r', 'p')
                AND relnamespace = current_schema()::regnamespace
            """, [name]) > 0
    }

    public func tables(on db: any SQLConnection) throws -> [String] {
        try db.rows("""
            SELECT relname::text AS name FROM pg_class
            WHERE relkind IN ('r', 'p') AND relnamespace = current_schema()::regnamespace ORDER BY 1
            """, []).map { try $0.requiredString("name") }
    }

    public func isUniqueViolation(_ error: any Error, of key: SQLUniqueKey?) -> Bool {
        guard let e = error as? PGError, e.isUniqueViolation else { return false }
        guard let key else { return true }
        return e.constraint == key.name
    }

    /// Identities continue after the copied ids (explicit ids do not move them).
    public func afterExplicitIDs(table: String, on db: any SQLConnection) throws {
        guard try db.count("SELECT count(*) FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = ? AND column_name = 'id' AND is_identity = 'YES'", [table]) > 0 else { return }
        _ = try db.rows("""
            SELECT setval(pg_get_serial_sequence(?, 'id'), (SELECT coalesce(max(id), 0) + 1 FROM \(table)), false)
            """, [table])
    }

    /// ANALYZE: a copied store's tables have no statistics until autovacuum gets to them (a
    /// minute or more), and a responder's prepared statements keep the generic plan made
    /// meanwhile. Planned as tiny, the lookup by serial (SQLCAStore.bySerial) scanned every
    /// certificate on each request, more the more were issued.
    public func afterBulkLoad(tables: [String], on db: any SQLConnection) throws {
        for table in tables { try db.script("ANALYZE \(table)") }
    }

    /// `sql` with each `?` outside quotes and comments numbered `$1..$n` in order. Text
    /// already written with `$n` passes unchanged.
    public static func numbered(_ sql: String) -> String {
        guard sql.contains("?") else { return sql }
        var out = ""
        out.reserveCapacity(sql.utf8.count + 8)
        var n = 0
        var quote: Character? = nil
        for c in sql {
            if let q = quote {
                if c == q { quote = nil }
                out.append(c)
            } else if c == "'" || c == "\"" {
                quote = c
                out.append(c)
            } else if c == "?" {
                n += 1
                out += "$\(n)"
            } else {
                out.append(c)
            }
        }
        return out
    }
}
