import ESTCA
import ESTSQL
import ESTStore
import Foundation
import XCTest

/// `store copy` carries every table the schema has, on each engine: a table added to the
/// schema without a place in StoreTables fails here (and `store copy` refuses such a source).
enum StoreTablesContract {
    static func copyCarriesEveryTable(_ f: StoreFactory) throws {
        _ = try StoreContract.setUp(f)
        let db = try f.connection()
        let tables = try db.dialect.tables(on: db)
        XCTAssertEqual(try StoreTables.uncopied(on: db), [], "tables store copy would not carry")
        for t in StoreTables.copied.map(\.name) + StoreTables.ownedByEachStore {
            XCTAssertTrue(tables.contains(t), "StoreTables names \(t), which the schema lacks")
        }
        // Every row moves through the SQL layer into an empty store of the same engine.
        let target = try StoreFactory(f.backend)
        _ = try target.makeStore(create: true)
        let report = try StoreCopy.copy(from: db, to: try target.connection(), targetName: "target")
        XCTAssertEqual(report.copied.map(\.table), StoreTables.copied.map(\.name))
        XCTAssertEqual(report.copied.first { $0.table == "cas" }?.rows, 3)
        XCTAssertGreaterThan(report.checkedCertificates, 3, "the CAs and the bootstrap certificate verified")
        if f.backend == .postgres {
            // Analyzed: a responder's prepared statements are planned with the copy's
            // statistics, not as for empty tables (a lookup by serial then scanned them all).
            let unanalyzed = try target.connection().rows("""
                SELECT relname FROM pg_stat_user_tables WHERE schemaname = current_schema() AND last_analyze IS NULL ORDER BY relname
                """, []).map { try $0.requiredString("relname") }.filter(StoreTables.copied.map(\.name).contains)
            XCTAssertEqual(unanalyzed, [], "tables store copy left without statistics")
        }
        // The check reads the catalog, not the list back: a table made now is reported, and
        // copy refuses a source it would not carry whole.
        try db.script("CREATE TABLE later_feature (id INTEGER PRIMARY KEY)")
        XCTAssertEqual(try StoreTables.uncopied(on: db), ["later_feature"])
        let other = try StoreFactory(f.backend)
        _ = try other.makeStore(create: true)
        XCTAssertThrowsError(try StoreCopy.copy(from: db, to: try other.connection(), targetName: "other")) {
            XCTAssertEqual($0 as? StoreError, .failed("the source has tables store copy does not carry: later_feature"))
        }
    }
}
