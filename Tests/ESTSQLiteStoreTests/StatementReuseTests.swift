import ESTCA
import ESTSQLite
@testable import ESTSQLiteStore
@testable import ESTStore
import Foundation
import XCTest

/// Statements on the request path run from the connection's cache without being parsed and
/// planned again (issue 24: a re-prepared statement in the group commit was 2 % of an
/// enrollment's CPU).
final class StatementReuseTests: XCTestCase {
    func testNotificationSubscribersAreFoundWithoutReprepare() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("estfcgi-reprepare-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("ca.db").path
        let store = try SQLiteCAStore(path: path, create: true)
        let receiver = try store.addNotificationReceiver(
            try NewNotificationReceiver(url: "http://127.0.0.1:1/revoked", events: [.revoked], caFile: nil, secretFile: nil),
            audit: .admin("notify-add"), now: Date())
        let pool = try SQLiteStorePool(path: path)
        defer { _ = pool.close() }
        let (made, reprepares) = try pool.commits.perform { db -> ([NotificationEventType], Int) in
            var made: [NotificationEventType] = []
            // Alternating values: each execution binds a value other than the last one's.
            for type in [NotificationEventType.issued, .revoked, .refused, .revoked, .issued, .pending] {
                try SQLCAStore.notify(db, type, now: Date()) {
                    made.append(type)
                    return NotificationEvent(type: type, subject: "s", profile: nil, data: [:])
                }
            }
            return (made, db.reprepares)
        }
        // The subscription still selects: only the receiver's event type made events.
        XCTAssertEqual(made, [.revoked, .revoked])
        XCTAssertEqual(try store.pendingNotifications(receiver: receiver.id, limit: 10).count, 2)
        XCTAssertEqual(reprepares, 0, "the subscribers' query was parsed and planned again on execution")
    }
}
