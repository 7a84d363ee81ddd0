import ESTCA
import ESTCore
import ESTSQL
import Foundation

extension SQLCAStore {
    public func bootstrapDenials() throws -> [BootstrapDenial] {
        try read { try $0.rows("SELECT \(StoreRecords.denialColumns) FROM \(StoreRecords.denialFrom) ORDER BY d.id", []).map(StoreRecords.denial) }
    }

    public func bootstrapDenials(serial: String, fingerprint: String) throws -> [BootstrapDenial] {
        try read { db in
            try db.rows("SELECT \(StoreRecords.denialColumns) FROM \(StoreRecords.denialFrom) WHERE d.serial = ? OR d.fingerprint = ?",
                        [serial, fingerprint]).map(StoreRecords.denial)
        }
    }

    /// One statement (one round trip on PostgreSQL) of narrow columns: a revoked row's
    /// DER and the rest of it are not read on the request path.
    public func clientStanding(serial: String, fingerprint: String) throws -> ClientStanding {
        try read { db in
            var standing = ClientStanding()
            for r in try db.rows("""
                SELECT 'revoked' AS kind, c.name AS issuer, x.revocation_reason AS reason, x.id AS ord
                FROM certificates x JOIN cas c ON c.id = x.issuer_ca_id
                WHERE \(Self.bySerial) AND x.status = 'revoked'
                UNION ALL
                SELECT 'denied' AS kind, c.name AS issuer, NULL AS reason, d.id AS ord
                FROM bootstrap_denials d JOIN cas c ON c.id = d.issuer_ca_id
                WHERE d.serial = ? OR d.fingerprint = ?
                ORDER BY kind, ord
                """, [serial, serial, fingerprint]) {
                let issuer = try r.requiredString("issuer")
                if try r.requiredString("kind") == "denied" {
                    standing.deniedBy.append(issuer)
                    continue
                }
                var reason: RevocationReason? = nil
                if let text = try r.optionalString("reason") {
                    guard let parsed = RevocationReason(rawValue: text) else {
                        throw StoreRecords.unreadable("certificate \(serial)", "revocation reason '\(text)'")
                    }
                    reason = parsed
                }
                standing.revoked.append((issuer, reason))
            }
            return standing
        }
    }

    public func addBootstrapDenial(_ d: BootstrapDenial, audit: AuditEvent, now: Date) throws {
        let (serial, fingerprint) = StoreRecords.columns(d.key)
        try write { db in
            let issuer = try Self.caID(db, d.issuer)
            do {
                try db.run("""
                    INSERT INTO bootstrap_denials (issuer_ca_id, serial, fingerprint, reason, created_at) VALUES (?, ?, ?, ?, ?)
                    """, [issuer, serial, fingerprint, d.reason, Timestamp.string(now)])
            } catch where db.dialect.isUniqueViolation(error, of: nil) {
                throw StoreError.conflict("already denied")
            }
            try Self.insertAudit(db, audit, now: now)
        }
    }

    public func removeBootstrapDenial(issuer: String, key: BootstrapDenial.Key, audit: AuditEvent, now: Date) throws {
        let (serial, fingerprint) = StoreRecords.columns(key)
        try write { db in
            let removed = try db.run("""
                DELETE FROM bootstrap_denials WHERE issuer_ca_id = (SELECT id FROM cas WHERE name = ?)
                    AND serial IS NOT DISTINCT FROM ? AND fingerprint IS NOT DISTINCT FROM ?
                """, [issuer, serial, fingerprint])
            guard removed == 1 else { throw StoreError.notFound("no such denial for CA '\(issuer)'") }
            try Self.insertAudit(db, audit, now: now)
        }
    }
}
