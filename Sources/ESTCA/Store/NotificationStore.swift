import ESTCore
import Foundation

/// The notification outbox (a transactional outbox): the store's writes that report
/// something (an issuance, a renewal, a revocation, a refusal's audit, a pending request)
/// add the event, and one delivery row per subscribed receiver, in their own transaction,
/// so an event exists exactly when what it reports committed. Deliverers (`serve`'s loop,
/// `notify run --once`) take a receiver's lease, POST its pending events oldest first,
/// and mark each delivered: at least once, in commit order per receiver.
///
/// The lease is the per-receiver lock: a conditional UPDATE of the receiver's row (under
/// PostgreSQL's row lock, SQLite's write lock), held for `until` and renewed with each
/// delivery, so that two deliverers (two `serve` processes, a cron job beside one) never
/// deliver to one receiver at once, while no transaction stays open across an HTTP call.
/// A deliverer killed mid-delivery leaves its lease to expire; the next one sends again
/// what was not marked (the same ids).
public protocol NotificationStore: AnyObject {
    /// CAError.badRequest when a receiver with that URL exists.
    func addNotificationReceiver(_ receiver: NewNotificationReceiver, audit: AuditEvent, now: Date) throws -> NotificationReceiver
    /// Every receiver, by id, with its backlog and delivery state.
    func notificationReceivers() throws -> [NotificationReceiver]
    /// Removes a receiver and its undelivered events (returns how many were dropped).
    /// CAError.notFound when there is no such receiver.
    func removeNotificationReceiver(id: Int64, audit: AuditEvent, now: Date) throws -> Int

    /// Takes receiver `id`'s lease as `token` until `until` when it is free, expired, or held
    /// by `replacingDead` (a deliverer of this host found dead) and, unless `ignoringBackoff`,
    /// its back-off is over; nil when another deliverer holds it.
    func leaseNotificationReceiver(id: Int64, token: String, until: Date, ignoringBackoff: Bool, replacingDead: String?,
                                   now: Date) throws -> NotificationReceiver?
    /// The receiver's oldest undelivered events, in commit order.
    func pendingNotifications(receiver: Int64, limit: Int) throws -> [OutboxNotification]
    /// Marks events delivered and extends the lease; false (nothing marked) when the
    /// lease is no longer `token`'s, or has run out at `now` (taken over or not).
    func markNotificationsDelivered(receiver: Int64, sequences: [Int64], token: String, leaseUntil: Date, now: Date) throws -> Bool
    /// Records a failed attempt (`error`, bounded), the next attempt's time, and frees the lease.
    func markNotificationFailed(receiver: Int64, token: String, error: String, retryAt: Date, now: Date) throws
    func releaseNotificationLease(receiver: Int64, token: String) throws
    /// Deletes delivered events beyond the newest `keepingDelivered` (an event still owed
    /// to any receiver is never deleted); returns how many.
    func pruneNotifications(keepingDelivered: Int) throws -> Int
}
