import ESTSQL
import ESTStore
import Foundation
import XCTest

/// Migration 15 on every engine: the certificate indexes an issuance writes. No index on
/// serial alone (UNIQUE (issuer_ca_id, serial) serves a lookup by serial that names the
/// CAs' ids), and partial indexes on replaces_id and device_id, which most rows leave NULL.
enum IndexContract {
    static func certificateIndexes(_ f: StoreFactory) throws {
        _ = try StoreContract.setUp(f)
        let db = try f.connection()
        let sql: String
        switch f.backend {
        case .sqlite: sql = "SELECT name || ' ' || coalesce(sql, '') AS line FROM sqlite_master WHERE type = 'index' AND tbl_name = 'certificates'"
        case .postgres: sql = "SELECT indexname || ' ' || indexdef AS line FROM pg_indexes WHERE schemaname = current_schema() AND tablename = 'certificates'"
        }
        let indexes = try db.rows(sql + " ORDER BY 1", []).map { try $0.requiredString("line") }
        func index(_ name: String) -> String? { indexes.first { $0.hasPrefix(name + " ") } }
        XCTAssertNil(index("certificates_serial"), "\(f.backend): an index on serial alone is written by every issuance")
        for name in ["certificates_replaces", "certificates_device"] {
            XCTAssertTrue(index(name)?.contains("IS NOT NULL") == true, "\(f.backend): \(name) is partial: \(index(name) ?? "missing")")
        }
        for name in ["certificates_ski", "certificates_requester", "certificates_not_after"] {
            XCTAssertNotNil(index(name), "\(f.backend): \(name)")
        }

        // A lookup by serial alone (the client's standing, `cert show --serial`) goes through
        // the unique index, never a scan of the table; on PostgreSQL with scans made as dear
        // as they can be, since its planner scans a table of a few rows whatever the indexes.
        let query = "SELECT x.id FROM \(StoreRecords.certFrom) WHERE \(SQLCAStore.bySerial)".replacingOccurrences(of: "?", with: "'0a'")
        let plan: [String]
        switch f.backend {
        case .sqlite:
            plan = try db.rows("EXPLAIN QUERY PLAN " + query, []).map { try $0.requiredString("detail") }
            XCTAssertTrue(plan.contains { $0.contains("certificates_2 (issuer_ca_id=? AND serial=?)") }, "\(plan)")
            // The CAs' ids from an index's page, not from each CA's row (a page each).
            XCTAssertTrue(plan.contains { $0.contains("SCAN cas USING COVERING INDEX") }, "\(plan)")
        case .postgres:
            try db.script("SET enable_seqscan = off")
            plan = try db.rows("EXPLAIN " + query, []).map { try $0.requiredString("QUERY PLAN") }
            XCTAssertTrue(plan.contains { $0.contains("certificates_serial_unique") }, "\(plan)")
        }
        XCTAssertFalse(plan.contains { $0.contains("SCAN x") || $0.contains("Seq Scan on certificates x") }, "\(f.backend): \(plan)")
    }
}
