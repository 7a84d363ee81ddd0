/// One audit record: every EST request and every admin change leaves one.
public struct AuditEvent: Sendable, Equatable {
    public var operation: String
    public var profile: String?
    public var client: String?
    /// The HTTP status of an EST request; nil for admin changes.
    public var status: Int?
    public var outcome: AuditOutcome
    public var reason: String
    public var serial: String?

    public init(operation: String, profile: String?, client: String?, status: Int?, outcome: AuditOutcome,
                reason: String = "", serial: String? = nil) {
        self.operation = operation
        self.profile = profile
        self.client = client
        self.status = status
        self.outcome = outcome
        self.reason = reason
        self.serial = serial
    }

    /// An administrative change made through the CLI.
    public static func admin(_ operation: String, profile: String? = nil, outcome: AuditOutcome = .ok,
                             reason: String = "", serial: String? = nil) -> AuditEvent {
        AuditEvent(operation: operation, profile: profile, client: "admin", status: nil, outcome: outcome,
                   reason: reason, serial: serial)
    }
}
