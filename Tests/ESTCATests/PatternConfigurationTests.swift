import ESTCA
import ESTCore
import ESTOpenSSL
import Foundation
import XCTest

/// A profile pattern that is not a regular expression is the operator's fault: refused when
/// saved, and, if a store holds one anyway, a configuration error (500) and doctor's FAIL,
/// never a silent "no match" (400) that blames the device.
final class PatternConfigurationTests: XCTestCase {
    func testSavingAnInvalidPatternIsRefused() throws {
        let f = try Fixture()
        for (option, set) in [("--cn-pattern", { (p: inout Profile) in p.identity.cnPattern = "dev-(" }),
                              ("--dns-pattern", { (p: inout Profile) in p.identity.dnsPattern = "[a-z" })] {
            var p = Profile(label: "re", issuer: "issuing")
            set(&p)
            XCTAssertThrowsError(try f.admin.saveProfile(p, replace: false), option) {
                XCTAssertEqual($0 as? CAError, .badRequest("\(option) is not a valid regular expression"))
            }
        }
        XCTAssertNil(try f.store.profile(label: "re"))
    }

    func testAStoredInvalidPatternIsAConfigurationErrorAndDoctorFailsIt() throws {
        let f = try Fixture()
        var p = try f.ca.requireProfile(nil)
        p.identity.dnsPattern = "(unclosed"
        // As an older version, or SQL by hand, would have left it: past the admin checks.
        try f.store.saveProfile(p, replace: true, audit: .admin("test"), now: f.clock)
        let (csr, _) = try f.csr("dev", extensions: [("subjectAltName", "DNS:dev.example")])
        XCTAssertThrowsError(try f.ca.enroll(csr: csr, profile: nil, client: try f.bootstrap())) {
            XCTAssertEqual(($0 as? CAError)?.httpStatus, 500)
            XCTAssertEqual(($0 as? CAError)?.reason,
                           "profile misconfigured: its --dns-pattern is not a valid regular expression (see estfcgi doctor)")
        }
        XCTAssertEqual(try f.issuedCount(), 0)
        let findings = try HealthCheck(store: f.store, keyring: f.keyring, passphraseProblem: nil, now: f.clock).findings()
        XCTAssertTrue(findings.contains { $0.level == .fail && $0.subject == "profile (default)" && $0.detail.hasPrefix("--dns-pattern is not") },
                      "\(findings.map(\.detail))")
    }
}
