import ESTCA
import ESTCore
import ESTSQLiteStore
import Foundation
import XCTest

/// The store speaks of rows (StoreError); the authority answers with HTTP statuses
/// (CAError), for every store call it makes.
final class StoreErrorTests: XCTestCase {
    func testEachStoreErrorHasTheAuthoritysStatus() {
        let cases: [(StoreError, Int)] = [
            (.notFound("x"), 404), (.conflict("x"), 400), (.refused("x"), 403), (.revokedClient(.superseded), 403),
            (.tooManyRequests("x"), 429), (.unavailable("x"), 503), (.failed("x"), 500),
        ]
        for (e, status) in cases {
            XCTAssertEqual(CAError(e).httpStatus, status, "\(e)")
            XCTAssertEqual(CAError(e).reason, e.description, "the reason is the store's")
        }
        XCTAssertEqual(CAError(.revokedClient(.superseded)), .forbidden("certificate already renewed"))
    }

    func testTheStoreSaysStoreErrorAndTheAuthorityAnswersCAError() throws {
        let f = try Fixture()
        XCTAssertThrowsError(try f.store.saveProfile(Profile(label: "factory", issuer: "factory"), replace: false,
                                                     audit: .admin("profile-create"), now: Date())) {
            XCTAssertEqual($0 as? StoreError, .conflict("profile factory already exists"))
        }
        XCTAssertThrowsError(try f.ca.store.saveProfile(Profile(label: "factory", issuer: "factory"), replace: false,
                                                        audit: .admin("profile-create"), now: Date())) {
            XCTAssertEqual($0 as? CAError, .badRequest("profile factory already exists"))
        }
        XCTAssertThrowsError(try f.admin.saveProfile(Profile(label: "lab", issuer: "nosuch"), replace: false)) {
            XCTAssertEqual(($0 as? CAError)?.httpStatus, 404, "\($0)")
        }
    }
}
