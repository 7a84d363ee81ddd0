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
        // The check reads the catalog, not the list back: a table made now is reported.
        try db.script("CREATE TABLE later_feature (id INTEGER PRIMARY KEY)")
        XCTAssertEqual(try StoreTables.uncopied(on: db), ["later_feature"])
    }
}
