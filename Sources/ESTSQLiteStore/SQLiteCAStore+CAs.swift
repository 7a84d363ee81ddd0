import ESTCA
import ESTCore
import ESTStoreRecords
import ESTSQLite
import Foundation

extension SQLiteCAStore {
    public func ca(named name: String) throws -> CARecord? {
        try read { try db.query("SELECT \(StoreRecords.caColumns) FROM cas WHERE name = ?", [name]).first.map(StoreRecords.ca) }
    }

    public func allCAs() throws -> [CARecord] {
        try read { try db.query("SELECT \(StoreRecords.caColumns) FROM cas ORDER BY id").map(StoreRecords.ca) }
    }

    public func insertCA(_ ca: NewCA, audit: AuditEvent, now: Date) throws -> CARecord {
        try write {
            if try self.ca(named: ca.name) != nil { throw CAError.badRequest("a CA named '\(ca.name)' already exists") }
            let fingerprint = ca.certificate.fingerprint.hexString
            if let other = try db.query("SELECT name FROM cas WHERE fingerprint = ?", [fingerprint]).first {
                throw CAError.badRequest("this certificate is already in the store as CA '\(try other.requiredString("name"))'")
            }
            try db.execute("""
                INSERT INTO cas (name, subject, certificate, chain_pem, encrypted_key, key_protection, not_after, fingerprint,
                    created_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                """, [ca.name, ca.certificate.subject.string, ca.certificate.der, ca.chainPEM, ca.encryptedKeyPEM, ca.keyProtection,
                      Timestamp.string(ca.certificate.notAfter), fingerprint, Timestamp.string(now)])
            try recordAudit(audit, now: now)
            guard let record = try self.ca(named: ca.name) else { throw CAError.internalFailure("inserted CA vanished") }
            return record
        }
    }

    public func setStatus(_ status: CAStatus, ofCA name: String, audit: AuditEvent, now: Date) throws -> CARecord {
        try write {
            try db.execute("UPDATE cas SET status = ? WHERE name = ?", [status.rawValue, name])
            guard db.changes == 1, let record = try self.ca(named: name) else { throw CAError.notFound("no CA named '\(name)'") }
            try recordAudit(audit, now: now)
            return record
        }
    }

    public func replaceKey(ofCA name: String, encryptedKeyPEM: String, protection: String, audit: AuditEvent, now: Date) throws {
        try write {
            try db.execute("UPDATE cas SET encrypted_key = ?, key_protection = ? WHERE name = ? AND encrypted_key IS NOT NULL",
                           [encryptedKeyPEM, protection, name])
            guard db.changes == 1 else { throw CAError.notFound("no CA named '\(name)' with a key") }
            try recordAudit(audit, now: now)
        }
    }
}
