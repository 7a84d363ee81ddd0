import ESTCore
import Foundation

/// What the store says happened since a time (`estfcgi stats`): issuances and refusals per
/// profile, refusals per reason, and the certificates about to expire. Read from the
/// audit and the certificates, so every process and every web host counts alike.
public struct Statistics: Sendable {
    public struct PerProfile: Sendable, Equatable {
        public var enrollments = 0
        public var reenrollments = 0
        public var serverKeyGenerations = 0
        /// Requests held for approval (202).
        public var pending = 0
        public var refusals = 0
    }

    /// Refusals alike but for the names and numbers in their reasons.
    public struct Refusal: Sendable, Equatable {
        public var profile: String?
        public var operation: String
        public var status: Int
        public var reason: String
        public var count: Int
    }

    public var since: Date
    public var until: Date
    /// Keyed by profile label, "(default)" for the default profile.
    public var profiles: [String: PerProfile] = [:]
    /// Most frequent first.
    public var refusals: [Refusal] = []
    public var expiringWithin7Days = 0
    public var expiringWithin30Days = 0

    public init(store: any CAStore, since: Date, now: Date) throws {
        self.since = since
        until = now
        var grouped: [String: Refusal] = [:]
        for t in try store.auditTallies(since: since) {
            let name = t.profile ?? "(default)"
            var p = profiles[name] ?? PerProfile()
            switch (t.outcome, t.operation) {
            case (.ok, "simpleenroll"): p.enrollments += t.count
            case (.ok, "simplereenroll"): p.reenrollments += t.count
            case (.ok, "serverkeygen"): p.serverKeyGenerations += t.count
            case (.pending, _): p.pending += t.count
            case (.refused, _):
                p.refusals += t.count
                let reason = Self.reasonClass(t.reason)
                let key = [t.profile ?? "", t.operation, String(t.status), reason].joined(separator: "\u{0}")
                grouped[key, default: Refusal(profile: t.profile, operation: t.operation, status: t.status, reason: reason, count: 0)]
                    .count += t.count
            default: break
            }
            profiles[name] = p
        }
        refusals = grouped.values.sorted { ($0.count, $1.reason) > ($1.count, $0.reason) }
        expiringWithin7Days = try store.issuedCertificates(matching: CertificateFilter(expiringWithinDays: 7), now: now).count
        expiringWithin30Days = try store.issuedCertificates(matching: CertificateFilter(expiringWithinDays: 30), now: now).count
    }

    /// A refusal's reason without what varies from request to request: the detail after
    /// the first ": ", quoted names, numbers.
    static func reasonClass(_ reason: String) -> String {
        var r = reason
        if let colon = r.range(of: ": ") { r = String(r[..<colon.lowerBound]) }
        r = r.replacingOccurrences(of: #"'[^']*'"#, with: "'…'", options: .regularExpression)
        r = r.replacingOccurrences(of: #"\b[0-9]+\b"#, with: "N", options: .regularExpression)
        return r
    }
}
