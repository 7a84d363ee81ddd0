import Foundation

/// Bounds the hook calls a process makes at once, and counts their outcomes for the
/// metrics. A hook call holds its worker thread until the answer or the timeout; with at
/// most `limit` of them at once (by default one fewer than `serve --workers`), a hook that
/// hangs leaves the other workers serving: a request that finds every slot taken waits at
/// most `wait`, then is answered 503 with Retry-After.
public final class AuthorizationHookGate: @unchecked Sendable {
    /// The process's gate (`serve` sets its limit at start; CGI mode runs one request).
    public static let shared = AuthorizationHookGate()

    private let condition = NSCondition()
    private var limit: Int
    private var running = 0
    private let wait: TimeInterval
    /// Hook calls by profile ("(default)" for the default profile) and outcome.
    private var counts: [Key: UInt64] = [:]

    struct Key: Hashable, Comparable {
        var profile: String
        var outcome: String
        static func < (a: Key, b: Key) -> Bool { (a.profile, a.outcome) < (b.profile, b.outcome) }
    }

    /// The outcomes counted: a closed set.
    public static let outcomes = ["allow", "deny", "error", "busy"]

    public init(limit: Int = 4, wait: TimeInterval = 0.2) {
        self.limit = max(1, limit)
        self.wait = wait
    }

    public var currentLimit: Int { condition.withLock { limit } }

    public func setLimit(_ n: Int) {
        condition.withLock { limit = max(1, n) }
        condition.broadcast()
    }

    /// Runs `body` in a slot; nil when none freed up within `wait`.
    func run<T>(_ body: () throws -> T) rethrows -> T? {
        let until = Date(timeIntervalSinceNow: wait)
        let admitted: Bool = condition.withLock {
            while running >= limit {
                if !condition.wait(until: until) { break }
            }
            guard running < limit else { return false }
            running += 1
            return true
        }
        guard admitted else { return nil }
        defer {
            condition.withLock { running -= 1 }
            condition.signal()
        }
        return try body()
    }

    func count(profile: String?, outcome: String) {
        condition.withLock { counts[Key(profile: profile ?? "(default)", outcome: outcome), default: 0] += 1 }
    }

    /// The Prometheus text of the hook counters (Metrics appends it to its own).
    public func metricsText() -> String {
        let snapshot = condition.withLock { (counts, running, limit) }
        var out = "# HELP estfcgi_authorization_hook_calls_total Authorization hook decisions, by profile and outcome (allow, deny, error: no clear answer, busy: no free slot).\n"
        out += "# TYPE estfcgi_authorization_hook_calls_total counter\n"
        for (k, v) in snapshot.0.sorted(by: { $0.key < $1.key }) {
            out += "estfcgi_authorization_hook_calls_total{profile=\"\(Self.escape(k.profile))\",outcome=\"\(k.outcome)\"} \(v)\n"
        }
        out += "# HELP estfcgi_authorization_hook_in_flight Authorization hook calls running now.\n# TYPE estfcgi_authorization_hook_in_flight gauge\n"
        out += "estfcgi_authorization_hook_in_flight \(snapshot.1)\n"
        out += "# HELP estfcgi_authorization_hook_slots Authorization hook calls this process makes at once at most.\n# TYPE estfcgi_authorization_hook_slots gauge\n"
        out += "estfcgi_authorization_hook_slots \(snapshot.2)\n"
        return out
    }

    static func escape(_ s: String) -> String {
        s.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
            .replacingOccurrences(of: "\n", with: "\\n")
    }
}
