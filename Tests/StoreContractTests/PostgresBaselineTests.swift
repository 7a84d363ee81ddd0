import ESTCA
import ESTPostgresStore
import ESTSQL
import Foundation
import XCTest

/// PostgreSQL's schema history is one baseline (version 7) and the migrations after it.
/// A store that an earlier estfcgi brought to 7 one migration at a time must open as it is:
/// the baseline never runs on it again, later migrations do, and the schema it then has is
/// the schema a new store gets, column for column, constraint for constraint.
final class PostgresBaselineTests: XCTestCase {
    static let fixture = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/pg-v7/store.sql")

    func testAStoreMadeByEarlierMigrationsOpensAndMatchesTheBaseline() throws {
        let old = try StoreFactory(.postgres)
        try old.connection().script(try String(contentsOf: Self.fixture, encoding: .utf8))
        let store = try old.makeStore()
        let latest = PostgresCAStore.latestSchemaVersion
        XCTAssertEqual(try (store as? PostgresCAStore)?.schemaVersion, latest)
        let db = try old.connection()
        XCTAssertEqual(try db.rows("SELECT version FROM schema_version ORDER BY version", []).map { try $0.requiredInt("version") },
                       (1...Int64(latest)).map { $0 }, "7 stays as it was (no baseline rerun), then each later version once")
        // The data is the store's: migration 8 gave the device its profile's kind.
        XCTAssertEqual(try store.devices(named: "urn:dev:a").map(\.kind), [.sanURI])
        XCTAssertEqual(try db.count("SELECT count(*) FROM cas WHERE name = 'ca'"), 1)

        let new = try StoreFactory(.postgres)
        _ = try new.makeStore(create: true)
        let migrated = try Self.catalog(db), fresh = try Self.catalog(try new.connection())
        XCTAssertGreaterThan(fresh.count, 100, "the catalog was read")
        XCTAssertEqual(migrated.filter { !fresh.contains($0) }, [], "only in the store migrated step by step")
        XCTAssertEqual(fresh.filter { !migrated.contains($0) }, [], "only in the store made from the baseline")
    }

    /// The schema's columns (in order, with type, nullability, default, collation, identity),
    /// constraints, indexes and triggers, without the schema's name.
    static func catalog(_ db: any SQLConnection) throws -> [String] {
        let queries = [
            """
            SELECT table_name || ' ' || row_number() OVER (PARTITION BY table_name ORDER BY ordinal_position) || ' ' ||
                   column_name || ' ' || data_type || ' ' || is_nullable || ' ' || coalesce(column_default, '-') || ' ' ||
                   coalesce(collation_name, '-') || ' ' || is_identity AS line
            FROM information_schema.columns WHERE table_schema = current_schema()
            """,
            """
            SELECT conrelid::regclass::text || ' ' || conname || ' ' || pg_get_constraintdef(oid) AS line
            FROM pg_constraint WHERE connamespace = current_schema()::regnamespace
            """,
            """
            SELECT tablename || ' ' || indexname || ' ' || replace(indexdef, current_schema() || '.', '') AS line
            FROM pg_indexes WHERE schemaname = current_schema()
            """,
            """
            SELECT replace(pg_get_triggerdef(t.oid), current_schema() || '.', '') AS line
            FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
            WHERE c.relnamespace = current_schema()::regnamespace AND NOT t.tgisinternal
            """,
        ]
        return try queries.flatMap { try db.rows($0 + " ORDER BY 1", []).map { try $0.requiredString("line") } }
    }
}
