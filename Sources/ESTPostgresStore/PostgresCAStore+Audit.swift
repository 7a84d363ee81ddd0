import ESTCA
import ESTCore
import ESTStoreRecords
import ESTPostgres
import Foundation

extension PostgresCAStore {
    /// Committed at once (its own transaction, or the caller's): PostgreSQL commits
    /// concurrent transactions together, so a refused request's row needs no queue.
    /// `queueAudit` is the protocol's default, this.
    public func recordAudit(_ e: AuditEvent, now: Date) throws {
        try read { try Self.insertAudit(db, e, now: now) }
    }

    static func insertAudit(_ db: PGConnection, _ e: AuditEvent, now: Date) throws {
        try db.execute("""
            INSERT INTO audit (time, operation, profile, client, status, outcome, reason, serial)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
            """, [Timestamp.string(now), e.operation, e.profile, e.client, e.status.map(Int64.init), e.outcome.rawValue,
                  e.reason, e.serial])
    }

    public func auditRecords(limit: Int) throws -> [AuditRecord] {
        try read {
            try db.query("""
                SELECT * FROM (SELECT id, time, operation, profile, client, status, outcome, reason, serial
                               FROM audit ORDER BY id DESC LIMIT $1) AS latest ORDER BY id
                """, [limit]).map(StoreRecords.auditRecord)
        }
    }

    public func auditTallies(since: Date) throws -> [AuditTally] {
        try read {
            try db.query("""
                SELECT operation, profile, status, outcome, CASE WHEN outcome = 'refused' THEN reason ELSE '' END AS why,
                       count(*) AS n
                FROM audit WHERE status IS NOT NULL AND time >= $1
                GROUP BY operation, profile, status, outcome, why ORDER BY operation, profile NULLS FIRST, status, why
                """, [Timestamp.string(since)]).map(StoreRecords.tally)
        }
    }

    public func pruneAudit(before: Date, audit: AuditEvent, now: Date) throws -> Int {
        try write {
            let removed = try db.execute("DELETE FROM audit WHERE time < $1", [Timestamp.string(before)])
            var event = audit
            event.reason += " (\(removed) records)"
            try recordAudit(event, now: now)
            return removed
        }
    }
}
