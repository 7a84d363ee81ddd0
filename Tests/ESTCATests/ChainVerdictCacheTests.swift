import ESTCA
import ESTCore
import ESTOpenSSL
import Foundation
import XCTest

/// A trusted chain verdict is kept (ChainVerifier), but only for the exact certificate,
/// within the path's validity and the store's material version; revocation and denials are
/// read on every request whatever the verdict.
final class ChainVerdictCacheTests: XCTestCase {
    func testACachedVerdictFollowsTheStore() throws {
        let f = try Fixture()
        let boot = try f.bootstrap()
        XCTAssertNoThrow(try f.ca.enroll(csr: try f.csr("a").0, profile: nil, client: boot))
        XCTAssertNoThrow(try f.ca.enroll(csr: try f.csr("b").0, profile: nil, client: boot), "the same certificate again")

        // The profile stops trusting the factory: a new material version, a new verifier.
        var p = try f.ca.requireProfile(nil)
        p.trust = ["root"]
        try f.admin.saveProfile(p, replace: true)
        XCTAssertThrowsError(try f.ca.enroll(csr: try f.csr("c").0, profile: nil, client: boot)) {
            guard case .untrusted = $0 as? CAError else { return XCTFail("\($0)") }
        }
        p.trust = ["factory"]
        try f.admin.saveProfile(p, replace: true)
        XCTAssertNoThrow(try f.ca.enroll(csr: try f.csr("d").0, profile: nil, client: boot))

        // Denied, then allowed again: read per request.
        try f.admin.denyBootstrap(.serial(boot.serialHex), issuer: "factory", reason: "lost")
        XCTAssertThrowsError(try f.ca.enroll(csr: try f.csr("e").0, profile: nil, client: boot)) {
            XCTAssertEqual($0 as? CAError, .forbidden("client certificate is denied (estfcgi bootstrap deny)"))
        }
        try f.admin.allowBootstrap(.serial(boot.serialHex), issuer: "factory")
        XCTAssertNoThrow(try f.ca.enroll(csr: try f.csr("f").0, profile: nil, client: boot))

        // Past the bootstrap certificate's notAfter the verdict reached earlier is not used.
        f.clock = boot.notAfter.addingTimeInterval(60)
        XCTAssertThrowsError(try f.ca.enroll(csr: try f.csr("g").0, profile: nil, client: boot)) {
            guard case .untrusted(let why) = $0 as? CAError else { return XCTFail("\($0)") }
            XCTAssertTrue(why.contains("expired"), why)
        }
        // Nor before the time it was reached (a clock set back before the notBefore).
        f.clock = boot.notBefore.addingTimeInterval(-3600)
        XCTAssertThrowsError(try f.ca.enroll(csr: try f.csr("h").0, profile: nil, client: boot))

        // Revoked: refused, the verdict notwithstanding.
        f.clock = Date()
        XCTAssertNoThrow(try f.ca.enroll(csr: try f.csr("i").0, profile: nil, client: boot))
        try f.admin.revoke(serial: boot.serialHex, reason: .keyCompromise)
        XCTAssertThrowsError(try f.ca.enroll(csr: try f.csr("j").0, profile: nil, client: boot)) {
            XCTAssertEqual($0 as? CAError, .forbidden("client certificate is revoked"))
        }
    }

    func testOnlyTrustedVerdictsAreKeptAndTheyAreBounded() throws {
        let f = try Fixture()
        let factory = try XCTUnwrap(f.store.ca(named: "factory")).certificate
        let issuing = try XCTUnwrap(f.store.ca(named: "issuing")).certificate
        let verifier = ChainVerifier(anchors: [factory])
        let boot = try f.bootstrap()
        let stranger = try f.ca.issue(csr: try f.csr("stranger").0, profile: try f.ca.requireProfile(nil), requester: "t", audit: nil).0
        XCTAssertEqual(stranger.issuer, issuing.subject)
        XCTAssertEqual(verifier.verify(stranger), .untrusted("unable to get local issuer certificate"))
        XCTAssertEqual(verifier.cachedVerdicts, 0, "an untrusted verdict is worked out each time")
        XCTAssertEqual(verifier.verify(boot), .trusted)
        XCTAssertEqual(verifier.verify(boot), .trusted)
        XCTAssertEqual(verifier.cachedVerdicts, 1, "one certificate, one verdict")
        // An altered copy of the certificate is another certificate: verified on its own.
        var der = boot.der
        der[der.count - 3] ^= 0x01  // in the signature
        if let forged = try? Certificate(der: der) {
            XCTAssertNotEqual(verifier.verify(forged), .trusted)
            XCTAssertEqual(verifier.cachedVerdicts, 1)
        }
        XCTAssertGreaterThan(ChainVerifier.maxCachedVerdicts, 0)
    }
}
