import ESTCA
import ESTCore
import ESTStoreRecords
import ESTSQLite
import Foundation

extension SQLiteCAStore {
    public func recordAudit(_ e: AuditEvent, now: Date) throws {
        try read { try Self.insertAudit(db, e, now: now) }
    }

    /// With the process's writer, joins its next transaction (at most its delay later, and
    /// at the latest when it closes): a refused request costs no fsync of its own.
    public func queueAudit(_ e: AuditEvent, now: Date) throws {
        guard let commits else { return try recordAudit(e, now: now) }
        commits.enqueue { db in try Self.insertAudit(db, e, now: now) }
    }

    static func insertAudit(_ db: Database, _ e: AuditEvent, now: Date) throws {
        try db.execute("""
            INSERT INTO audit (time, operation, profile, client, status, outcome, reason, serial)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?)
            """, [Timestamp.string(now), e.operation, e.profile, e.client, e.status.map(Int64.init), e.outcome.rawValue,
                  e.reason, e.serial])
    }

    public func auditRecords(limit: Int) throws -> [AuditRecord] {
        try read {
            try db.query("""
                SELECT * FROM (SELECT id, time, operation, profile, client, status, outcome, reason, serial
                               FROM audit ORDER BY id DESC LIMIT ?) ORDER BY id
                """, [limit]).map(StoreRecords.auditRecord)
        }
    }

    public func auditTallies(since: Date) throws -> [AuditTally] {
        try read {
            try db.query("""
                SELECT operation, profile, status, outcome, CASE WHEN outcome = 'refused' THEN reason ELSE '' END AS why,
                       count(*) AS n
                FROM audit WHERE status IS NOT NULL AND time >= ?
                GROUP BY operation, profile, status, outcome, why ORDER BY operation, profile, status, why
                """, [Timestamp.string(since)]).map(StoreRecords.tally)
        }
    }

    public func pruneAudit(before: Date, audit: AuditEvent, now: Date) throws -> Int {
        try write {
            try db.execute("DELETE FROM audit WHERE time < ?", [Timestamp.string(before)])
            let removed = db.changes
            var event = audit
            event.reason += " (\(removed) records)"
            try recordAudit(event, now: now)
            return removed
        }
    }
}
