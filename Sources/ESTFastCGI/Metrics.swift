import ESTCore
import Foundation

/// What this `serve` process answered, in the Prometheus text format (version 0.0.4):
/// requests by operation, profile and status, refusals by kind, a latency histogram per
/// operation, certificates issued, store errors. Counters live in the process (one
/// process per tenant with the shipped units); what every process shares is in the store
/// (`estfcgi stats`). Every label value comes from a closed set or a profile that
/// exists (`(default)` for the default profile, "" when none is known), so clients cannot
/// grow the series.
public final class Metrics: @unchecked Sendable {
    /// Upper bounds of the latency buckets, in seconds.
    static let buckets: [Double] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]

    struct RequestKey: Hashable { var operation: String; var profile: String; var status: Int }
    struct Histogram {
        var counts = [UInt64](repeating: 0, count: Metrics.buckets.count)
        var sum = 0.0
        var count: UInt64 = 0
    }

    private let lock = NSLock()
    private var requests: [RequestKey: UInt64] = [:]
    private var refusals: [String: UInt64] = [:]
    private var issued: [String: UInt64] = [:]
    private var latency: [String: Histogram] = [:]
    private var storeErrors: UInt64 = 0
    /// OCSP answers by OCSPResponseStatus (RFC 6960 §4.2.1): a closed set, never client text.
    private var ocspAnswers: [String: UInt64] = [:]
    static let ocspStatuses: Set<String> = ["successful", "malformedRequest", "internalError", "tryLater", "sigRequired", "unauthorized"]
    private let started = Date()
    /// Families other layers keep (e.g. the authorization hook's counters), appended as rendered.
    private var sources: [@Sendable () -> String] = []

    public init() {}

    /// Counts one answered request.
    public func record(_ outcome: ESTOutcome, seconds: Double) {
        let status = outcome.response.status
        let operation = ESTOperation(rawValue: outcome.operation)?.rawValue ?? "-"
        // A label the client chose counts only once it proved to be a profile: a 404 (unknown
        // label), a refusal before any decision, or a 503 while the store is down names
        // none, and is counted under "" (so clients cannot grow the series).
        let profile = outcome.profileProven ? (outcome.profile ?? "(default)") : ""
        lock.withLock {
            requests[RequestKey(operation: operation, profile: profile, status: status), default: 0] += 1
            if let kind = outcome.refusal { refusals[kind, default: 0] += 1 }
            if outcome.serial != nil, status == 200 { issued[profile, default: 0] += 1 }
            // An authorization hook that gives no answer (503, its own kind) is not the store's.
            if status >= 500, status != 501, outcome.refusal != "hook_unavailable" { storeErrors += 1 }
            if let ocsp = outcome.ocspStatus { ocspAnswers[Self.ocspStatuses.contains(ocsp) ? ocsp : "-", default: 0] += 1 }
            var h = latency[operation] ?? Histogram()
            for (i, bound) in Self.buckets.enumerated() where seconds <= bound { h.counts[i] += 1 }
            h.sum += seconds
            h.count += 1
            latency[operation] = h
        }
    }

    /// Adds families rendered by `render` (Prometheus text, whole families) after these.
    public func addSource(_ render: @escaping @Sendable () -> String) {
        lock.withLock { sources.append(render) }
    }

    /// The exposition, metric families in a fixed order, series sorted.
    public func render() -> String {
        lock.withLock {
            var out = ""
            func family(_ name: String, _ type: String, _ help: String) {
                out += "# HELP \(name) \(help)\n# TYPE \(name) \(type)\n"
            }
            family("estfcgi_requests_total", "counter", "EST requests answered, by operation, profile and HTTP status.")
            for (k, v) in requests.sorted(by: { ($0.key.operation, $0.key.profile, $0.key.status) < ($1.key.operation, $1.key.profile, $1.key.status) }) {
                out += "estfcgi_requests_total{operation=\"\(Self.escape(k.operation))\",profile=\"\(Self.escape(k.profile))\",status=\"\(k.status)\"} \(v)\n"
            }
            family("estfcgi_refusals_total", "counter", "Requests refused, by kind of refusal.")
            for (k, v) in refusals.sorted(by: { $0.key < $1.key }) { out += "estfcgi_refusals_total{reason=\"\(Self.escape(k))\"} \(v)\n" }
            family("estfcgi_certificates_issued_total", "counter", "Certificates issued (enroll, re-enroll, serverkeygen), by profile.")
            for (k, v) in issued.sorted(by: { $0.key < $1.key }) { out += "estfcgi_certificates_issued_total{profile=\"\(Self.escape(k))\"} \(v)\n" }
            family("estfcgi_store_errors_total", "counter", "Requests answered 500 or 503 (store busy, full or failing; internal errors).")
            out += "estfcgi_store_errors_total \(storeErrors)\n"
            family("estfcgi_ocsp_responses_total", "counter", "OCSP answers (HTTP 200), by OCSP response status.")
            for (k, v) in ocspAnswers.sorted(by: { $0.key < $1.key }) { out += "estfcgi_ocsp_responses_total{status=\"\(k)\"} \(v)\n" }
            family("estfcgi_request_duration_seconds", "histogram", "Time from the request's parameters to its answer, by operation.")
            for (op, h) in latency.sorted(by: { $0.key < $1.key }) {
                let label = "operation=\"\(Self.escape(op))\""
                for (i, bound) in Self.buckets.enumerated() {
                    out += "estfcgi_request_duration_seconds_bucket{\(label),le=\"\(Self.number(bound))\"} \(h.counts[i])\n"
                }
                out += "estfcgi_request_duration_seconds_bucket{\(label),le=\"+Inf\"} \(h.count)\n"
                out += "estfcgi_request_duration_seconds_sum{\(label)} \(Self.number(h.sum))\n"
                out += "estfcgi_request_duration_seconds_count{\(label)} \(h.count)\n"
            }
            family("estfcgi_start_time_seconds", "gauge", "When this responder process started (Unix time).")
            out += "estfcgi_start_time_seconds \(Int(started.timeIntervalSince1970))\n"
            for source in sources { out += source() }
            return out
        }
    }

    static func number(_ x: Double) -> String {
        x == x.rounded() && abs(x) < 1e15 ? String(Int64(x)) : "\(x)"
    }

    /// Label values: backslash, double quote and newline escaped (the format's rule).
    static func escape(_ s: String) -> String {
        s.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
            .replacingOccurrences(of: "\n", with: "\\n")
    }
}
