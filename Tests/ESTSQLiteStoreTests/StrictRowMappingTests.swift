import ESTCA
import ESTSQLite
import ESTSQLiteStore
import Foundation
import XCTest

/// A stored value the model cannot read is a failure naming its column, never a default:
/// SQLite keeps whatever a column is given (type affinity only converts what it can), so a
/// damaged or hand-edited row reaches the store as it is.
final class StrictRowMappingTests: XCTestCase {
    var dir: URL!
    var path: String { dir.appendingPathComponent("ca.db").path }
    var store: SQLiteCAStore!

    override func setUpWithError() throws {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("estfcgi-strict-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        store = try SQLiteCAStore(path: path, create: true)
        let admin = CAAdministration(CertificateAuthority(store: store, keyring: CAKeyring(passphrase: "strict test passphrase")))
        _ = try admin.createCA(name: "root", subject: "CN=Root", keyType: .ecP256, days: 10, issuer: nil, pathLength: nil)
        try admin.saveProfile(Profile(label: "lab", issuer: "root"), replace: false)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: dir) }

    func assertUnreadable(_ column: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertThrowsError(try store.profile(label: "lab"), file: file, line: line) {
            guard case .failed(let why) = $0 as? StoreError else { return XCTFail("\($0)", file: file, line: line) }
            XCTAssertTrue(why.contains("profile lab") && why.contains("column \(column)"), why, file: file, line: line)
        }
    }

    /// Was read as `false`.
    func testAFlagThatIsNotZeroOrOneIsAnError() throws {
        try Database(path: path).execute("UPDATE profiles SET revoke_on_reenroll = 'yes' WHERE label = 'lab'")
        assertUnreadable("revoke_on_reenroll")
    }

    /// Was read as 365 days.
    func testAValidityThatIsNotANumberIsAnError() throws {
        try Database(path: path).execute("UPDATE profiles SET validity_days = 'a year' WHERE label = 'lab'")
        assertUnreadable("validity_days")
    }

    /// Was read as no pattern at all.
    func testANullableColumnOfAnotherTypeIsAnError() throws {
        try Database(path: path).execute("UPDATE profiles SET cn_pattern = x'00' WHERE label = 'lab'")
        assertUnreadable("cn_pattern")
    }

    func testRowsAsTheyAreStillRead() throws {
        XCTAssertEqual(try store.profile(label: "lab")?.revokeOnReenroll, false)
        XCTAssertEqual(try store.profile(label: "lab")?.validityDays, 365)
    }
}
