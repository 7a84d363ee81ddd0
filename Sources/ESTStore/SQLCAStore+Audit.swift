import ESTCA
import ESTCore
import ESTSQL
import Foundation

extension SQLCAStore {
    /// Committed at once: in the caller's transaction, or on its own.
    public func recordAudit(_ e: AuditEvent, now: Date) throws {
        // A refusal that has subscribers is two or more rows: one transaction.
        if Self.reportsRefusal(e) { return try write { try Self.insertRefusal($0, e, now: now) } }
        try read { try Self.insertAudit($0, e, now: now) }
    }

    /// With a group-commit writer (SQLite's `serve`), joins its next transaction (at most
    /// its delay later, and at the latest when it closes): a refused request costs no fsync
    /// of its own. Elsewhere (PostgreSQL commits concurrent transactions together) at once.
    public func queueAudit(_ e: AuditEvent, now: Date) throws {
        guard engine.enqueue({ db in try Self.insertRefusal(db, e, now: now) }) else { return try recordAudit(e, now: now) }
    }

    /// An EST request refused after a policy decision (status set: not an admin change) is
    /// a `refused` notification, in the audit record's transaction.
    static func reportsRefusal(_ e: AuditEvent) -> Bool { e.outcome == .refused && e.status != nil }

    static func insertRefusal(_ db: any SQLConnection, _ e: AuditEvent, now: Date) throws {
        try insertAudit(db, e, now: now)
        if reportsRefusal(e) { try notifyRefused(db, e, now: now) }
    }

    /// Nothing reads the INSERT's outcome: on PostgreSQL it goes with the transaction's next
    /// statement or its COMMIT (runLater), no round trip of its own.
    static func insertAudit(_ db: any SQLConnection, _ e: AuditEvent, now: Date) throws {
        try db.runLater("""
            INSERT INTO audit (time, operation, profile, client, status, outcome, reason, serial)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?)
            """, [Timestamp.string(now), e.operation, e.profile, e.client, e.status.map(Int64.init), e.outcome.rawValue,
                  e.reason, e.serial])
    }

    public func auditRecords(limit: Int) throws -> [AuditRecord] {
        try read { db in
            try db.rows("""
                SELECT * FROM (SELECT id, time, operation, profile, client, status, outcome, reason, serial
                               FROM audit ORDER BY id DESC LIMIT ?) AS latest ORDER BY id
                """, [limit]).map(StoreRecords.auditRecord)
        }
    }

    public func auditTallies(since: Date) throws -> [AuditTally] {
        try read { db in
            try db.rows("""
                SELECT operation, profile, status, outcome, CASE WHEN outcome = 'refused' THEN reason ELSE '' END AS why,
                       count(*) AS n
                FROM audit WHERE status IS NOT NULL AND time >= ?
                GROUP BY operation, profile, status, outcome, why ORDER BY operation, profile NULLS FIRST, status, why
                """, [Timestamp.string(since)]).map(StoreRecords.tally)
        }
    }

    public func pruneAudit(before: Date, audit: AuditEvent, now: Date) throws -> Int {
        try write { db in
            let removed = try db.run("DELETE FROM audit WHERE time < ?", [Timestamp.string(before)])
            var event = audit
            event.reason += " (\(removed) records)"
            try Self.insertAudit(db, event, now: now)
            return removed
        }
    }
}
