import Foundation

/// A URL that events are POSTed to (`notify add`), with its delivery state: what
/// `notify list` shows.
public struct NotificationReceiver: Sendable {
    public var id: Int64
    public var url: String
    public var events: [NotificationEventType]
    /// PEM file of the CAs its HTTPS certificate must chain to (nil: the system's).
    public var caFile: String?
    /// The file holding the HMAC secret (the store keeps its path, never the secret).
    public var secretFile: String?
    public var createdAt: String
    /// Events committed for it and not yet delivered.
    public var backlog: Int
    public var delivered: Int64
    /// Failed attempts since the last delivery (the back-off grows with it).
    public var failures: Int
    public var nextAttemptAt: String?
    public var lastError: String?
    public var lastErrorAt: String?
    public var lastDeliveredAt: String?
    /// The deliverer holding the lease (`host/pid-namespace pid nonce`) and until when, nil when free.
    public var leaseHolder: String?
    public var leaseUntil: String?

    public init(id: Int64, url: String, events: [NotificationEventType], caFile: String?, secretFile: String?,
                createdAt: String, backlog: Int = 0, delivered: Int64 = 0, failures: Int = 0, nextAttemptAt: String? = nil,
                lastError: String? = nil, lastErrorAt: String? = nil, lastDeliveredAt: String? = nil,
                leaseHolder: String? = nil, leaseUntil: String? = nil) {
        self.id = id
        self.url = url
        self.events = events
        self.caFile = caFile
        self.secretFile = secretFile
        self.createdAt = createdAt
        self.backlog = backlog
        self.delivered = delivered
        self.failures = failures
        self.nextAttemptAt = nextAttemptAt
        self.lastError = lastError
        self.lastErrorAt = lastErrorAt
        self.lastDeliveredAt = lastDeliveredAt
        self.leaseHolder = leaseHolder
        self.leaseUntil = leaseUntil
    }
}
