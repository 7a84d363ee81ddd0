import ESTSQLite
@testable import ESTSQLiteStore
import Foundation
import XCTest

/// Migration 8 (a device is its kind and its name) on a store holding devices: each device
/// takes the kind of its profile, the rebuilt table keeps its ids (certificates still point
/// at them), and the same name may then exist once per kind.
final class DeviceKindMigrationTests: XCTestCase {
    func testDevicesTakeTheirProfilesKind() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("estfcgi-m8-\(UUID().uuidString).db").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        let db = try Database(path: path)
        XCTAssertEqual(try Migrator(Array(Schema.migrator.migrations.prefix(7))).migrate(db), 7)
        let t = "2026-01-01T00:00:00Z"
        try db.execute("""
            INSERT INTO cas (id, name, subject, certificate, not_after, fingerprint, created_at)
            VALUES (1, 'ca', 'CN=CA', x'00', ?, 'f0', ?)
            """, [t, t])
        try db.execute("INSERT INTO profiles (label, issuer_ca_id, device_id, created_at, updated_at) VALUES ('uri', 1, 'san-uri', ?, ?)", [t, t])
        try db.execute("INSERT INTO profiles (label, issuer_ca_id, device_id, created_at, updated_at) VALUES (NULL, 1, 'serial', ?, ?)", [t, t])
        for (id, name, profile) in [(5, "urn:dev:a", "uri" as String?), (6, "SN-1", nil), (7, "gone", "deleted-profile")] {
            try db.execute("INSERT INTO devices (id, name, profile, source, created_at) VALUES (?, ?, ?, 'operator', ?)",
                           [Int64(id), name, profile, t])
        }
        try db.execute("""
            INSERT INTO certificates (serial, issuer_ca_id, subject, not_before, not_after, fingerprint, der, issued_at, device_id)
            VALUES ('01', 1, 'CN=x', ?, ?, 'c1', x'00', ?, 5)
            """, [t, t, t])

        XCTAssertEqual(try Schema.migrator.migrate(db), Schema.migrator.latestVersion)
        let kinds = try db.query("SELECT id, kind FROM devices ORDER BY id").map { "\($0.int("id") ?? 0):\($0.string("kind") ?? "")" }
        XCTAssertEqual(kinds, ["5:san-uri", "6:serial", "7:cn"])
        XCTAssertEqual(try db.query("SELECT device_id FROM certificates").first?.int("device_id"), 5)
        XCTAssertEqual(try db.query("PRAGMA foreign_key_check").count, 0)
        XCTAssertEqual(try db.query("PRAGMA foreign_keys").first?.int("foreign_keys"), 1, "foreign keys are back on")
        // The same text as another kind is another device; the same kind twice is refused.
        try db.execute("INSERT INTO devices (kind, name, source, created_at) VALUES ('cn', 'urn:dev:a', 'operator', ?)", [t])
        XCTAssertThrowsError(try db.execute("INSERT INTO devices (kind, name, source, created_at) VALUES ('cn', 'urn:dev:a', 'operator', ?)", [t]))
    }
}
