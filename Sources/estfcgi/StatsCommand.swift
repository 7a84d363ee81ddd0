import ArgumentParser
import ESTCA
import ESTCore
import Foundation

/// `estfcgi stats`: enrollments, re-enrollments and refusals per profile and per reason,
/// and certificates expiring soon, from the store.
struct Stats: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Enrollments, re-enrollments and refusals per profile and reason, and certificates expiring soon.")
    @OptionGroup var store: StoreOptions
    @Option(help: ArgumentHelp("How far back: N followed by s, m, h or d (default 24h), or a date YYYY-MM-DD[THH:MM:SSZ].", valueName: "AGE|DATE"))
    var since = "24h"
    @OptionGroup var output: JSONOption

    func run() throws {
        let now = Date()
        let from = try Self.start(since, now: now)
        let s = try Statistics(store: try store.openStore(), since: from, now: now)
        if output.json {
            try printJSON([
                "since": Timestamp.string(s.since), "until": Timestamp.string(s.until),
                "profiles": s.profiles.mapValues { p in
                    ["enrollments": p.enrollments, "reenrollments": p.reenrollments, "serverkeygen": p.serverKeyGenerations,
                     "pending": p.pending, "refusals": p.refusals]
                },
                "refusals": s.refusals.map { r in
                    ["profile": nullable(r.profile), "operation": r.operation, "status": r.status, "reason": r.reason, "count": r.count] as [String: Any]
                },
                "expiring": ["within_7_days": s.expiringWithin7Days, "within_30_days": s.expiringWithin30Days],
            ])
            return
        }
        print("since \(Timestamp.string(s.since))")
        print(["profile", "enrolled", "reenrolled", "serverkeygen", "pending", "refused"].joined(separator: "\t"))
        for (name, p) in s.profiles.sorted(by: { $0.key < $1.key }) {
            print([name, String(p.enrollments), String(p.reenrollments), String(p.serverKeyGenerations), String(p.pending),
                   String(p.refusals)].joined(separator: "\t"))
        }
        if !s.refusals.isEmpty { print("refusals by reason:") }
        for r in s.refusals {
            print(["", String(r.count), r.profile ?? "(default)", r.operation, String(r.status), TextOutput.safe(r.reason)]
                .joined(separator: "\t"))
        }
        print("certificates expiring within 7 days: \(s.expiringWithin7Days), within 30 days: \(s.expiringWithin30Days)")
    }

    /// `24h`, `30m`, `7d`, `90s`, or a date.
    static func start(_ text: String, now: Date) throws -> Date {
        if let unit = text.last, let n = Int(text.dropLast()), n >= 0 {
            let seconds: Double? = switch unit {
            case "s": 1
            case "m": 60
            case "h": 3600
            case "d": 86400
            default: nil
            }
            if let seconds { return now.addingTimeInterval(-Double(n) * seconds) }
        }
        if let date = Timestamp.date(text) ?? Timestamp.date(text + "T00:00:00Z") { return date }
        throw CAError.badRequest("--since takes N followed by s, m, h or d (e.g. 24h), or YYYY-MM-DD[THH:MM:SSZ]")
    }
}
