import ESTCA
import ESTCore
import ESTSQL
import Foundation

/// The notification outbox (NotificationStore): receivers, the events committed for them,
/// and one delivery row per (receiver, event), whose order is the outbox id's.
extension SQLCAStore: NotificationStore {
    /// A receiver's last error as stored and shown: bounded, control characters escaped.
    static let errorLimit = 300

    /// Called inside the transaction that records what `type` reports: adds the event and a
    /// delivery row for each receiver subscribed to `type`, or nothing (and `make` is not
    /// called) when there is none. The receivers are locked FOR KEY SHARE so that a
    /// concurrent `notify remove` waits for this commit (and then drops these rows too)
    /// rather than failing the issuance on a foreign key.
    /// `receivers`: the rows of `receiversQuery(db, type)`, when the caller read them with
    /// another statement of its transaction (one round trip on PostgreSQL).
    static func notify(_ db: any SQLConnection, _ type: NotificationEventType, now: Date, receivers found: [SQLRow]? = nil,
                       _ make: () throws -> NotificationEvent) throws {
        let query = receiversQuery(db, type)
        let receivers = try (found ?? db.rows(query.sql, query.params)).map { try $0.requiredInt("id") }
        guard !receivers.isEmpty else { return }
        let event = try make()
        let id = UUID().uuidString.lowercased()
        guard let row = try db.rows("""
            INSERT INTO notify_outbox (event_id, type, body, created_at) VALUES (?, ?, ?, ?) RETURNING id
            """, [id, type.cloudEventType, event.body(id: id, time: now), Timestamp.string(now)]).first else {
            throw StoreError.failed("notification not recorded")
        }
        let sequence = try row.requiredInt("id")
        for receiver in receivers {
            try db.runLater("INSERT INTO notify_deliveries (receiver_id, outbox_id) VALUES (?, ?)", [receiver, sequence])
        }
    }

    /// The receivers subscribed to `type`, locked FOR KEY SHARE (see `notify`).
    static func receiversQuery(_ db: any SQLConnection, _ type: NotificationEventType) -> (sql: String, params: [any SQLBindable]) {
        // The pattern is built in SQL, not bound whole: SQLite re-prepares a statement on every
        // execution whose LIKE pattern is a bound parameter (its LIKE optimisation reads the
        // value), which was 2 % of an enrollment's CPU with no receiver at all.
        ("""
            SELECT id FROM notify_receivers WHERE ',' || events || ',' LIKE '%,' || ? || ',%' ORDER BY id\(lock(db, .keyShare))
            """, [type.rawValue])
    }

    /// The event of an issuance (recordIssued's transaction): `renewed` for a re-enrollment.
    static func notifyIssued(_ db: any SQLConnection, _ c: IssuedCertificate, renewal: Bool, operation: String?,
                             approvedRequest: Int64?, now: Date, receivers: [SQLRow]? = nil) throws {
        try notify(db, renewal ? .renewed : .issued, now: now, receivers: receivers) {
            var data = try certificateData(db, c)
            data["operation"] = .optional(operation)
            data["replaces"] = .optional(c.replacesSerial)
            data["request"] = approvedRequest.map(NotificationEvent.Value.number) ?? .null
            data["requester"] = .optional(c.requester)
            return NotificationEvent(type: renewal ? .renewed : .issued, subject: c.serial, profile: c.profile, data: data)
        }
    }

    /// The event of a revocation, read back after the UPDATE (reason and time as stored).
    static func notifyRevoked(_ db: any SQLConnection, certificateID: Int64, by: String?, now: Date) throws {
        try notify(db, .revoked, now: now) {
            guard let c = try certificates(db, where: "x.id = ?", [certificateID]).first else {
                throw StoreError.failed("revoked certificate vanished")
            }
            var data = try certificateData(db, c)
            data["reason"] = .optional(c.revocationReason?.rawValue)
            data["revoked_at"] = .optional(c.revokedAt)
            data["revoked_by"] = .optional(by)
            return NotificationEvent(type: .revoked, subject: c.serial, profile: c.profile, data: data)
        }
    }

    /// A refused EST request's event, from its audit record (client and reason are bounded
    /// and escaped there already).
    static func notifyRefused(_ db: any SQLConnection, _ e: AuditEvent, now: Date) throws {
        try notify(db, .refused, now: now) {
            NotificationEvent(type: .refused, subject: e.operation, profile: e.profile, data: [
                "operation": .text(e.operation), "profile": .optional(e.profile), "client": .optional(e.client),
                "status": e.status.map { .number(Int64($0)) } ?? .null, "reason": .text(e.reason),
            ])
        }
    }

    static func notifyPending(_ db: any SQLConnection, _ r: EnrollmentRequest, now: Date) throws {
        try notify(db, .pending, now: now) {
            NotificationEvent(type: .pending, subject: "request/\(r.id)", profile: r.profile, data: [
                "request": .number(r.id), "operation": .text(r.operation), "profile": .optional(r.profile),
                "device": .optional(r.device), "subject": .text(r.subject), "key_type": .text(r.keyType),
                "requester": .optional(r.requester), "created_at": .text(r.createdAt),
            ])
        }
    }

    private static func certificateData(_ db: any SQLConnection, _ c: IssuedCertificate) throws -> [String: NotificationEvent.Value] {
        let device = try db.rows("SELECT d.kind, d.name FROM certificates x JOIN devices d ON d.id = x.device_id WHERE x.id = ?",
                                 [c.id]).first
        return [
            "serial": .text(c.serial), "issuer": .text(c.issuer), "profile": .optional(c.profile), "subject": .text(c.subject),
            "sans": .text(c.sans), "not_before": .text(c.notBefore), "not_after": .text(c.notAfter),
            "fingerprint": .text(c.fingerprint), "device": .optional(try device?.optionalString("name")),
            "device_kind": .optional(try device?.optionalString("kind")),
        ]
    }

    // MARK: receivers

    static let receiverColumns = """
        r.id, r.url, r.events, r.ca_file, r.secret_file, r.created_at, r.delivered, r.failures, r.next_attempt_at,
        r.last_error, r.last_error_at, r.last_delivered_at, r.lease_token, r.lease_until,
        (SELECT count(*) FROM notify_deliveries d WHERE d.receiver_id = r.id AND d.delivered_at IS NULL) AS backlog
        """

    static func receiver(_ r: SQLRow) throws -> NotificationReceiver {
        let events = try r.requiredString("events").split(separator: ",").map { name in
            guard let type = NotificationEventType(rawValue: String(name)) else {
                throw StoreRecords.unreadable("notification receiver", "event \(name)")
            }
            return type
        }
        return NotificationReceiver(
            id: try r.requiredInt("id"), url: try r.requiredString("url"), events: events,
            caFile: try r.optionalString("ca_file"), secretFile: try r.optionalString("secret_file"),
            createdAt: try r.requiredString("created_at"), backlog: Int(try r.requiredInt("backlog")),
            delivered: try r.requiredInt("delivered"), failures: Int(try r.requiredInt("failures")),
            nextAttemptAt: try r.optionalString("next_attempt_at"), lastError: try r.optionalString("last_error"),
            lastErrorAt: try r.optionalString("last_error_at"), lastDeliveredAt: try r.optionalString("last_delivered_at"),
            leaseHolder: try r.optionalString("lease_token"), leaseUntil: try r.optionalString("lease_until"))
    }

    static func receivers(_ db: any SQLConnection, where condition: String, _ params: [any SQLBindable]) throws -> [NotificationReceiver] {
        try db.rows("SELECT \(receiverColumns) FROM notify_receivers r WHERE \(condition)", params).map(receiver)
    }

    public func addNotificationReceiver(_ n: NewNotificationReceiver, audit: AuditEvent, now: Date) throws -> NotificationReceiver {
        try write { db in
            guard let row = try db.rows("""
                INSERT INTO notify_receivers (url, events, ca_file, secret_file, created_at) VALUES (?, ?, ?, ?, ?)
                ON CONFLICT (url) DO NOTHING RETURNING id
                """, [n.url, n.events.map(\.rawValue).joined(separator: ","), n.caFile, n.secretFile, Timestamp.string(now)]).first else {
                throw StoreError.conflict("a receiver with this URL exists already")
            }
            let id = try row.requiredInt("id")
            var event = audit
            event.reason = "receiver \(id): \(n.url) (\(n.events.map(\.rawValue).joined(separator: ",")))"
            try Self.insertAudit(db, event, now: now)
            guard let added = try Self.receivers(db, where: "r.id = ?", [id]).first else { throw StoreError.failed("receiver vanished") }
            return added
        }
    }

    public func notificationReceivers() throws -> [NotificationReceiver] {
        try read { try Self.receivers($0, where: "TRUE ORDER BY r.id", []) }
    }

    public func removeNotificationReceiver(id: Int64, audit: AuditEvent, now: Date) throws -> Int {
        try write { db in
            // FOR UPDATE waits for the transactions adding events for it (FOR KEY SHARE):
            // the DELETEs below then see their rows.
            guard let url = try db.rows("SELECT url FROM notify_receivers WHERE id = ?\(Self.lock(db, .update))", [id]).first
                .map({ try $0.requiredString("url") }) else {
                throw StoreError.notFound("no notification receiver \(id)")
            }
            let dropped = try db.count("SELECT count(*) FROM notify_deliveries WHERE receiver_id = ? AND delivered_at IS NULL", [id])
            _ = try db.run("DELETE FROM notify_deliveries WHERE receiver_id = ?", [id])
            _ = try db.run("DELETE FROM notify_receivers WHERE id = ?", [id])
            var event = audit
            event.reason = "receiver \(id): \(url), \(dropped) undelivered event(s) dropped"
            try Self.insertAudit(db, event, now: now)
            return Int(dropped)
        }
    }

    // MARK: delivery

    public func leaseNotificationReceiver(id: Int64, token: String, until: Date, ignoringBackoff: Bool,
                                          replacingDead dead: String?, now: Date) throws -> NotificationReceiver? {
        try write { db in
            let stamp = Timestamp.string(now)
            let taken = try db.run("""
                UPDATE notify_receivers SET lease_token = ?, lease_until = ?
                WHERE id = ? AND (lease_until IS NULL OR lease_until < ? OR lease_token = ?)
                  AND (? OR next_attempt_at IS NULL OR next_attempt_at <= ?)
                """, [token, Timestamp.string(until), id, stamp, dead, ignoringBackoff, stamp])
            guard taken == 1 else { return nil }
            return try Self.receivers(db, where: "r.id = ?", [id]).first
        }
    }

    public func pendingNotifications(receiver: Int64, limit: Int) throws -> [OutboxNotification] {
        try read { db in
            try db.rows("""
                SELECT o.id, o.event_id, o.type, o.body FROM notify_deliveries d JOIN notify_outbox o ON o.id = d.outbox_id
                WHERE d.receiver_id = ? AND d.delivered_at IS NULL ORDER BY d.outbox_id LIMIT ?
                """, [receiver, limit]).map {
                OutboxNotification(sequence: try $0.requiredInt("id"), eventID: try $0.requiredString("event_id"),
                                   type: try $0.requiredString("type"), body: try $0.requiredString("body"))
            }
        }
    }

    public func markNotificationsDelivered(receiver: Int64, sequences: [Int64], token: String, leaseUntil: Date,
                                           now: Date) throws -> Bool {
        try write { db in
            let stamp = Timestamp.string(now)
            // The receiver's row first: it checks (and, on PostgreSQL, locks) the lease. A lease
            // past its time is lost even while no one has taken it yet: a deliverer stalled
            // that long stops, rather than go on beside one that takes it at any moment.
            guard try db.run("""
                UPDATE notify_receivers SET lease_until = ?, delivered = delivered + ?, failures = 0, next_attempt_at = NULL,
                    last_delivered_at = coalesce(?, last_delivered_at)
                WHERE id = ? AND lease_token = ? AND lease_until >= ?
                """, [Timestamp.string(leaseUntil), sequences.count, sequences.isEmpty ? nil : stamp, receiver, token, stamp]) == 1 else {
                return false
            }
            for sequence in sequences {
                _ = try db.run("UPDATE notify_deliveries SET delivered_at = ? WHERE receiver_id = ? AND outbox_id = ? AND delivered_at IS NULL",
                           [stamp, receiver, sequence])
            }
            return true
        }
    }

    public func markNotificationFailed(receiver: Int64, token: String, error: String, retryAt: Date, now: Date) throws {
        _ = try write { db in
            try db.run("""
                UPDATE notify_receivers SET failures = failures + 1, next_attempt_at = ?, last_error = ?, last_error_at = ?,
                    lease_token = NULL, lease_until = NULL
                WHERE id = ? AND lease_token = ?
                """, [Timestamp.string(retryAt), PrintableText.escaped(error, limit: Self.errorLimit), Timestamp.string(now),
                      receiver, token])
        }
    }

    public func releaseNotificationLease(receiver: Int64, token: String) throws {
        _ = try write { db in
            try db.run("UPDATE notify_receivers SET lease_token = NULL, lease_until = NULL WHERE id = ? AND lease_token = ?",
                       [receiver, token])
        }
    }

    public func pruneNotifications(keepingDelivered: Int) throws -> Int {
        try write { db in
            // The newest `keepingDelivered` events no receiver still waits for stay (for
            // `notify list` and a look at what was sent); older ones go.
            guard case .integer(let cutoff) = try db.value("""
                SELECT o.id FROM notify_outbox o
                WHERE NOT EXISTS (SELECT 1 FROM notify_deliveries d WHERE d.outbox_id = o.id AND d.delivered_at IS NULL)
                ORDER BY o.id DESC LIMIT 1 OFFSET ?
                """, [keepingDelivered]) else { return 0 }
            _ = try db.run("""
                DELETE FROM notify_deliveries WHERE outbox_id <= ? AND delivered_at IS NOT NULL
                  AND NOT EXISTS (SELECT 1 FROM notify_deliveries p WHERE p.outbox_id = notify_deliveries.outbox_id AND p.delivered_at IS NULL)
                """, [cutoff])
            return try db.run("""
                DELETE FROM notify_outbox WHERE id <= ?
                  AND NOT EXISTS (SELECT 1 FROM notify_deliveries d WHERE d.outbox_id = notify_outbox.id)
                """, [cutoff])
        }
    }
}
