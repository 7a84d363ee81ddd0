import ESTCA
import ESTCore
import ESTStoreRecords
import ESTPostgres
import Foundation

extension PostgresCAStore {
    public func bootstrapDenials() throws -> [BootstrapDenial] {
        try read { try db.query("SELECT \(StoreRecords.denialColumns) FROM \(StoreRecords.denialFrom) ORDER BY d.id").map(StoreRecords.denial) }
    }

    public func bootstrapDenials(serial: String, fingerprint: String) throws -> [BootstrapDenial] {
        try read {
            try db.query("SELECT \(StoreRecords.denialColumns) FROM \(StoreRecords.denialFrom) WHERE d.serial = $1 OR d.fingerprint = $2",
                         [serial, fingerprint]).map(StoreRecords.denial)
        }
    }

    public func addBootstrapDenial(_ d: BootstrapDenial, audit: AuditEvent, now: Date) throws {
        let (serial, fingerprint) = StoreRecords.columns(d.key)
        do {
            try write {
                guard let issuer = try db.query("SELECT id FROM cas WHERE name = $1", [d.issuer]).first?.int("id") else {
                    throw CAError.notFound("no CA named '\(d.issuer)'")
                }
                try db.execute("""
                    INSERT INTO bootstrap_denials (issuer_ca_id, serial, fingerprint, reason, created_at) VALUES ($1, $2, $3, $4, $5)
                    """, [issuer, serial, fingerprint, d.reason, Timestamp.string(now)])
                try recordAudit(audit, now: now)
            }
        } catch CAError.internalFailure(let why) where why.contains("PostgreSQL error 23505") {
            throw CAError.badRequest("already denied")
        }
    }

    public func removeBootstrapDenial(issuer: String, key: BootstrapDenial.Key, audit: AuditEvent, now: Date) throws {
        let (serial, fingerprint) = StoreRecords.columns(key)
        try write {
            let removed = try db.execute("""
                DELETE FROM bootstrap_denials WHERE issuer_ca_id = (SELECT id FROM cas WHERE name = $1)
                    AND serial IS NOT DISTINCT FROM $2 AND fingerprint IS NOT DISTINCT FROM $3
                """, [issuer, serial, fingerprint])
            guard removed == 1 else { throw CAError.notFound("no such denial for CA '\(issuer)'") }
            try recordAudit(audit, now: now)
        }
    }
}
