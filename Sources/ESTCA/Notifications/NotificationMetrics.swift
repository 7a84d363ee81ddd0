import Foundation

/// What this process's deliverer did, in the Prometheus text format: events delivered,
/// attempts that failed, and the backlog it last saw (every receiver's undelivered events,
/// a gauge shared by every process since it is read from the store).
public final class NotificationMetrics: @unchecked Sendable {
    private let lock = NSLock()
    private var delivered: UInt64 = 0
    private var failed: UInt64 = 0
    private var backlog: Int = 0
    private var receivers: Int = 0

    public init() {}

    func record(delivered n: Int) { lock.withLock { delivered += UInt64(n) } }
    func recordFailure() { lock.withLock { failed += 1 } }
    func observe(backlog: Int, receivers: Int) { lock.withLock { self.backlog = backlog; self.receivers = receivers } }

    public var counts: (delivered: UInt64, failed: UInt64, backlog: Int) { lock.withLock { (delivered, failed, backlog) } }

    public func render() -> String {
        lock.withLock {
            """
            # HELP estfcgi_notifications_delivered_total Events this process delivered (receiver answered 2xx).
            # TYPE estfcgi_notifications_delivered_total counter
            estfcgi_notifications_delivered_total \(delivered)
            # HELP estfcgi_notification_failures_total Delivery attempts that failed (no answer, or not 2xx); each backs off.
            # TYPE estfcgi_notification_failures_total counter
            estfcgi_notification_failures_total \(failed)
            # HELP estfcgi_notification_backlog Undelivered events over every receiver, as last read from the store.
            # TYPE estfcgi_notification_backlog gauge
            estfcgi_notification_backlog \(backlog)
            # HELP estfcgi_notification_receivers Receivers in the store, as last read.
            # TYPE estfcgi_notification_receivers gauge
            estfcgi_notification_receivers \(receivers)

            """
        }
    }
}
