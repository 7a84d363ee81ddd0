import ESTSQLite
@testable import ESTSQLiteStore
import Foundation
import XCTest

/// The settings of every connection `serve` opens: each worker's (reads) and the
/// group-commit writer's, read back from SQLite.
final class ConnectionPragmaTests: XCTestCase {
    func testServeConnectionsKeepJournalsInMemoryAndCommitsDurable() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("estfcgi-pragma-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("ca.db").path
        _ = try SQLiteCAStore(path: path, create: true)
        let pool = try SQLiteStorePool(path: path)
        defer { _ = pool.close() }
        let worker = try pool.makeStore()
        func settings(_ db: Database) throws -> [SQLValue] {
            try ["temp_store", "synchronous", "journal_mode"].map { try db.scalar("PRAGMA \($0)") }
        }
        // temp_store 2 (MEMORY): sub-journals never go to a temporary file; synchronous 2
        // (FULL): a commit reaches the disk before its certificate is answered.
        let expected: [SQLValue] = [.integer(2), .integer(2), .text("wal")]
        XCTAssertEqual(try settings(worker.db), expected, "worker connection")
        XCTAssertEqual(try pool.commits.perform { try settings($0) }, expected, "writer connection")
    }
}
