@testable import ESTCore
@testable import ESTFastCGI
import XCTest

/// What the authorization hook adds to the metrics: its families (from ESTCA, through
/// `addSource`), and its 503s counted as refusals of their own, not as store errors.
final class MetricsHookTests: XCTestCase {
    func testHookUnavailableIsNotAStoreErrorAndSourcesAreAppended() {
        let m = Metrics()
        var o = ESTOutcome(response: ESTResponse(status: 503), operation: "simpleenroll", profile: "iot", client: nil, reason: "",
                           serial: nil)
        o.refusal = "hook_unavailable"
        m.record(o, seconds: 0.01)
        m.addSource { "# HELP x_total X.\n# TYPE x_total counter\nx_total 7\n" }
        let text = m.render()
        let lines = Set(text.split(separator: "\n").map(String.init))
        XCTAssertTrue(lines.contains("estfcgi_store_errors_total 0"), text)
        XCTAssertTrue(lines.contains(#"estfcgi_refusals_total{reason="hook_unavailable"} 1"#))
        XCTAssertTrue(text.hasSuffix("x_total 7\n"), "a source's families come last, whole")
    }
}
