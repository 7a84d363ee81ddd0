import ESTCA
import ESTCore
import ESTStoreRecords
import ESTSQLite
import Foundation

extension SQLiteCAStore {
    public func bootstrapDenials() throws -> [BootstrapDenial] {
        try read { try db.query("SELECT \(StoreRecords.denialColumns) FROM \(StoreRecords.denialFrom) ORDER BY d.id").map(StoreRecords.denial) }
    }

    public func bootstrapDenials(serial: String, fingerprint: String) throws -> [BootstrapDenial] {
        try read {
            try db.query("SELECT \(StoreRecords.denialColumns) FROM \(StoreRecords.denialFrom) WHERE d.serial = ? OR d.fingerprint = ?",
                         [serial, fingerprint]).map(StoreRecords.denial)
        }
    }

    public func addBootstrapDenial(_ d: BootstrapDenial, audit: AuditEvent, now: Date) throws {
        let (serial, fingerprint) = StoreRecords.columns(d.key)
        do {
            try write {
                guard let issuer = try db.query("SELECT id FROM cas WHERE name = ?", [d.issuer]).first?.int("id") else {
                    throw CAError.notFound("no CA named '\(d.issuer)'")
                }
                try db.execute("""
                    INSERT INTO bootstrap_denials (issuer_ca_id, serial, fingerprint, reason, created_at) VALUES (?, ?, ?, ?, ?)
                    """, [issuer, serial, fingerprint, d.reason, Timestamp.string(now)])
                try recordAudit(audit, now: now)
            }
        } catch CAError.internalFailure(let why) where why.contains("UNIQUE") {
            throw CAError.badRequest("already denied")
        }
    }

    public func removeBootstrapDenial(issuer: String, key: BootstrapDenial.Key, audit: AuditEvent, now: Date) throws {
        let (serial, fingerprint) = StoreRecords.columns(key)
        try write {
            try db.execute("""
                DELETE FROM bootstrap_denials WHERE issuer_ca_id = (SELECT id FROM cas WHERE name = ?)
                    AND serial IS ? AND fingerprint IS ?
                """, [issuer, serial, fingerprint])
            guard db.changes == 1 else { throw CAError.notFound("no such denial for CA '\(issuer)'") }
            try recordAudit(audit, now: now)
        }
    }
}
