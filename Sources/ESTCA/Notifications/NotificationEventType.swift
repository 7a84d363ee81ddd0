import ESTCore
import Foundation

/// What a notification reports; a receiver subscribes to some of them (`notify add --events`).
/// The CloudEvents `type` names the thing that changed: a certificate, or an enrollment
/// request that ended without one.
public enum NotificationEventType: String, Sendable, CaseIterable {
    /// A first certificate: simpleenroll, serverkeygen (RFC 7030 §4.2.1, §4.4).
    case issued
    /// A certificate replacing one the client holds: simplereenroll (RFC 7030 §4.2.2).
    case renewed
    /// By an operator (`cert revoke`, with its successors), or superseded by a re-enrollment
    /// or a replaceable enrollment.
    case revoked
    /// An EST request refused after a policy decision (what the audit records as refused).
    case refused
    /// A request held for an operator's approval (RFC 7030 §4.2.3), once when first recorded.
    case pending

    /// The CloudEvents 1.0 `type` attribute (reverse-DNS style prefix, as the spec advises).
    public var cloudEventType: String {
        switch self {
        case .issued, .renewed, .revoked: return "est.certificate.\(rawValue)"
        case .refused, .pending: return "est.enrollment.\(rawValue)"
        }
    }

    /// `issued,renewed`: lowercase names, commas, no spaces; every one known; no repeats.
    public static func parseList(_ text: String) throws -> [NotificationEventType] {
        var out: [NotificationEventType] = []
        for part in text.split(separator: ",", omittingEmptySubsequences: false) {
            let name = part.trimmingCharacters(in: .whitespaces)
            guard let type = NotificationEventType(rawValue: name) else {
                throw CAError.badRequest("--events: unknown event '\(PrintableText.escaped(name, limit: 64))' (choose among \(allCases.map(\.rawValue).joined(separator: ",")))")
            }
            if !out.contains(type) { out.append(type) }
        }
        guard !out.isEmpty else { throw CAError.badRequest("--events: name at least one event") }
        return out
    }
}
