import ESTCA
import ESTCore
import ESTSQL
import Foundation

extension SQLCAStore {
    public func ocspSigners() throws -> [OCSPSignerRecord] {
        try read { db in
            try db.rows("""
                SELECT c.name, o.certificate, o.encrypted_key, o.key_protection, o.validity_hours, o.created_at
                FROM ocsp_signers o JOIN cas c ON c.id = o.ca_id ORDER BY c.id
                """, []).map { r in
                try OCSPSignerRecord(ca: try r.requiredString("name"), certificateDER: r.data("certificate"),
                                     encryptedKeyPEM: try r.optionalString("encrypted_key"),
                                     keyProtection: try r.optionalString("key_protection"),
                                     validityHours: Int(try r.requiredInt("validity_hours")), createdAt: try r.requiredString("created_at"))
            }
        }
    }

    public func saveOCSPSigner(_ signer: OCSPSignerRecord, audit: AuditEvent, now: Date) throws {
        try write { db in
            let ca = try Self.caID(db, signer.ca, lock: .noKeyUpdate)
            try db.run("DELETE FROM ocsp_signers WHERE ca_id = ?", [ca])
            try db.run("""
                INSERT INTO ocsp_signers (ca_id, certificate, encrypted_key, key_protection, validity_hours, not_after, created_at)
                VALUES (?, ?, ?, ?, ?, ?, ?)
                """, [ca, signer.certificate?.der, signer.encryptedKeyPEM, signer.keyProtection, Int64(signer.validityHours),
                      signer.certificate.map { Timestamp.string($0.notAfter) }, Timestamp.string(now)])
            try Self.insertAudit(db, audit, now: now)
        }
    }
}
