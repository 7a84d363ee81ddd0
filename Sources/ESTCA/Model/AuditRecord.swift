import ESTCore

/// An audit event as stored, with its row id and time.
public struct AuditRecord: Sendable {
    public let id: Int64
    public let time: String
    public let event: AuditEvent

    public init(id: Int64, time: String, event: AuditEvent) {
        self.id = id
        self.time = time
        self.event = event
    }
}
