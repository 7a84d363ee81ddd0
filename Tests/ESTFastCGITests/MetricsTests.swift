@testable import ESTCore
@testable import ESTFastCGI
import Foundation
import XCTest

final class MetricsTests: XCTestCase {
    func outcome(_ op: String, _ profile: String?, _ status: Int, audited: Bool = false, serial: String? = nil,
                 refusal: String? = nil) -> ESTOutcome {
        var o = ESTOutcome(response: ESTResponse(status: status), operation: op, profile: profile, client: nil, reason: "",
                           serial: serial)
        o.audited = audited
        // As ESTService decides it: the authority answered, or refused with a decision.
        o.profileProven = audited && status != 404
        o.refusal = refusal
        return o
    }

    func testCountersHistogramAndLabels() {
        let m = Metrics()
        m.record(outcome("simpleenroll", "iot", 200, audited: true, serial: "01"), seconds: 0.004)
        m.record(outcome("simpleenroll", "iot", 200, audited: true, serial: "02"), seconds: 0.3)
        m.record(outcome("simpleenroll", nil, 403, audited: true, refusal: "forbidden"), seconds: 0.02)
        // A label the client made up, and a refusal before any decision: no profile label.
        m.record(outcome("cacerts", "made-up-\"label\n", 404, audited: true, refusal: "not_found"), seconds: 0.001)
        m.record(outcome("simpleenroll", "iot", 415, refusal: "unsupported_media_type"), seconds: 0.001)
        m.record(outcome("-", nil, 503, refusal: "unavailable"), seconds: 11)
        // OCSP answers by response status, a closed set (issue 23).
        for status in ["successful", "successful", "unauthorized", "made-up"] {
            var o = outcome("ocsp", nil, 200)
            o.ocspStatus = status
            m.record(o, seconds: 0.001)
        }
        let text = m.render()
        let lines = Set(text.split(separator: "\n").map(String.init))
        XCTAssertTrue(lines.contains(#"estfcgi_requests_total{operation="simpleenroll",profile="iot",status="200"} 2"#))
        XCTAssertTrue(lines.contains(#"estfcgi_requests_total{operation="simpleenroll",profile="(default)",status="403"} 1"#))
        XCTAssertTrue(lines.contains(#"estfcgi_requests_total{operation="cacerts",profile="",status="404"} 1"#))
        XCTAssertTrue(lines.contains(#"estfcgi_requests_total{operation="simpleenroll",profile="",status="415"} 1"#))
        XCTAssertFalse(text.contains("made-up"))
        XCTAssertTrue(lines.contains(#"estfcgi_refusals_total{reason="forbidden"} 1"#))
        XCTAssertTrue(lines.contains(#"estfcgi_certificates_issued_total{profile="iot"} 2"#))
        XCTAssertTrue(lines.contains("estfcgi_store_errors_total 1"))
        XCTAssertTrue(lines.contains(#"estfcgi_request_duration_seconds_bucket{operation="simpleenroll",le="0.005"} 2"#))
        XCTAssertTrue(lines.contains(#"estfcgi_request_duration_seconds_bucket{operation="simpleenroll",le="0.25"} 3"#))
        XCTAssertTrue(lines.contains(#"estfcgi_request_duration_seconds_bucket{operation="simpleenroll",le="+Inf"} 4"#))
        XCTAssertTrue(lines.contains(#"estfcgi_request_duration_seconds_bucket{operation="-",le="10"} 0"#))
        XCTAssertTrue(lines.contains(#"estfcgi_request_duration_seconds_count{operation="-"} 1"#))
        // Every sample line is NAME{labels} VALUE or NAME VALUE; every family has HELP and TYPE.
        for line in lines where !line.hasPrefix("#") {
            XCTAssertNotNil(line.range(of: #"^[a-z_]+(\{[^}]*\})? [0-9.e+-]+$"#, options: .regularExpression), line)
        }
        XCTAssertTrue(lines.contains(#"estfcgi_ocsp_responses_total{status="successful"} 2"#))
        XCTAssertTrue(lines.contains(#"estfcgi_ocsp_responses_total{status="unauthorized"} 1"#))
        XCTAssertTrue(lines.contains(#"estfcgi_ocsp_responses_total{status="-"} 1"#), "never a label outside the set")
        XCTAssertEqual(text.components(separatedBy: "# TYPE ").count - 1, 7)
    }

    func testTheEndpointIsTheWebServersToTurnOn() {
        let m = Metrics()
        let base = ["REQUEST_METHOD": "GET", "DOCUMENT_URI": MetricsEndpoint.path]
        XCTAssertNil(MetricsEndpoint.answer(params: base, metrics: m), "off unless the location says on")
        XCTAssertNil(MetricsEndpoint.answer(params: base.merging(["HTTP_ESTFCGI_METRICS": "on"]) { a, _ in a }, metrics: m))
        XCTAssertNil(MetricsEndpoint.answer(params: base.merging(["ESTFCGI_METRICS": "yes"]) { a, _ in a }, metrics: m))
        let on = base.merging(["ESTFCGI_METRICS": "on"]) { a, _ in a }
        XCTAssertEqual(MetricsEndpoint.answer(params: on, metrics: m)?.status, 200)
        XCTAssertEqual(MetricsEndpoint.answer(params: on.merging(["REQUEST_METHOD": "POST"]) { _, b in b }, metrics: m)?.status, 405)
        XCTAssertNil(MetricsEndpoint.answer(params: on.merging(["DOCUMENT_URI": "/.well-known/est/cacerts"]) { _, b in b }, metrics: m),
                     "other paths go on to the core")
    }
}
