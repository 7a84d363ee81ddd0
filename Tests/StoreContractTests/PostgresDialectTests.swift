import ESTPostgres
import XCTest

/// The shared SQL's `?` parameters as PostgreSQL takes them.
final class PostgresDialectTests: XCTestCase {
    func testPlaceholdersAreNumberedOutsideQuotes() {
        XCTAssertEqual(PostgresDialect.numbered("SELECT ? WHERE a = '?' AND \"b?\" = ? "), "SELECT $1 WHERE a = '?' AND \"b?\" = $2 ")
        XCTAssertEqual(PostgresDialect.numbered("SELECT $1, $2"), "SELECT $1, $2", "numbered text passes unchanged")
        XCTAssertEqual(PostgresDialect.numbered("SELECT 'it''s ?', ?"), "SELECT 'it''s ?', $1", "a doubled quote stays inside")
    }
}
