/// How a request or an administrative change ended, as the audit records it.
public enum AuditOutcome: String, Sendable, CaseIterable {
    case ok
    case refused
    /// Held for an operator's approval (202, RFC 7030 §4.2.3).
    case pending
}
