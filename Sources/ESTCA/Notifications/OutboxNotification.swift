/// An event waiting for one receiver: its place in the outbox (commit order) and the
/// exact bytes to POST.
public struct OutboxNotification: Sendable, Equatable {
    /// The outbox row: delivery to a receiver goes in this order.
    public var sequence: Int64
    /// The CloudEvents `id` (a UUID), the same on every retry.
    public var eventID: String
    public var type: String
    public var body: String

    public init(sequence: Int64, eventID: String, type: String, body: String) {
        self.sequence = sequence
        self.eventID = eventID
        self.type = type
        self.body = body
    }
}
