/// How a request or an administrative change ended, as the audit records it.
public enum AuditOutcome: String, Sendable, CaseIterable {
    case ok
    case refused
}
