import ESTCore

/// How many EST requests of one kind the audit holds (`estfcgi stats`): the refusals by
/// their reason, the others by operation, profile and status only.
public struct AuditTally: Sendable, Equatable {
    public var operation: String
    public var profile: String?
    public var status: Int
    public var outcome: AuditOutcome
    /// The reason of a refusal; "" for the others.
    public var reason: String
    public var count: Int

    public init(operation: String, profile: String?, status: Int, outcome: AuditOutcome, reason: String, count: Int) {
        self.operation = operation
        self.profile = profile
        self.status = status
        self.outcome = outcome
        self.reason = reason
        self.count = count
    }
}
