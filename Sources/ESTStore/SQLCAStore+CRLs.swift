import ESTCA
import ESTCore
import ESTSQL
import Foundation

extension SQLCAStore {
    /// How many of a CA's CRLs are kept: the latest is served, a few before it explain it.
    static let keptCRLs = 10

    public func revokedCertificates(issuer: String, now: Date) throws -> [IssuedCertificate] {
        try read { db in
            try Self.certificates(db, where: "c.name = ? AND x.status = 'revoked' AND x.not_after >= ? ORDER BY x.id",
                                  [issuer, Timestamp.string(now)])
        }
    }

    public func latestCRL(issuer: String) throws -> PublishedCRL? {
        try read { db in
            try db.rows("""
                SELECT c.name AS issuer, l.number, l.this_update, l.next_update, l.entries, l.der
                FROM crls l JOIN cas c ON c.id = l.ca_id WHERE c.name = ? ORDER BY l.number DESC LIMIT 1
                """, [issuer]).first.map { r in
                PublishedCRL(issuer: try r.requiredString("issuer"), number: try r.requiredInt("number"),
                             thisUpdate: try r.requiredString("this_update"), nextUpdate: try r.requiredString("next_update"),
                             entries: Int(try r.requiredInt("entries")), der: try r.requiredData("der"))
            }
        }
    }

    public func recordCRL(_ crl: PublishedCRL, audit: AuditEvent, now: Date) throws {
        try write { db in
            // The CA row locked: two CRLs of one CA are numbered one after the other.
            let ca = try Self.caID(db, crl.issuer, lock: .noKeyUpdate)
            // A number at or below one already published would not be monotonic (RFC 5280 §5.2.3).
            if crl.number <= (try db.count("SELECT coalesce(max(number), 0) FROM crls WHERE ca_id = ?", [ca])) {
                throw CRLNumberTaken()
            }
            do {
                try db.run("""
                    INSERT INTO crls (ca_id, number, this_update, next_update, entries, der) VALUES (?, ?, ?, ?, ?, ?)
                    """, [ca, crl.number, crl.thisUpdate, crl.nextUpdate, Int64(crl.entries), crl.der])
            } catch where db.dialect.isUniqueViolation(error, of: nil) {
                throw CRLNumberTaken()
            }
            try db.run("""
                DELETE FROM crls WHERE ca_id = ? AND number <= (SELECT max(number) FROM crls WHERE ca_id = ?) - ?
                """, [ca, ca, Int64(Self.keptCRLs)])
            try Self.insertAudit(db, audit, now: now)
        }
    }

    public func latestKeyCRL(issuer: String, keyID: String) throws -> PublishedCRL? {
        try read { db in
            try db.rows("""
                SELECT c.name AS issuer, l.number, l.this_update, l.next_update, l.entries, l.der
                FROM key_crls l JOIN cas c ON c.id = l.ca_id WHERE c.name = ? AND l.key_id = ? ORDER BY l.number DESC LIMIT 1
                """, [issuer, keyID]).first.map { r in
                PublishedCRL(issuer: try r.requiredString("issuer"), number: try r.requiredInt("number"),
                             thisUpdate: try r.requiredString("this_update"), nextUpdate: try r.requiredString("next_update"),
                             entries: Int(try r.requiredInt("entries")), der: try r.requiredData("der"))
            }
        }
    }

    public func recordKeyCRL(_ crl: PublishedCRL, keyID: String, audit: AuditEvent, now: Date) throws {
        try write { db in
            let ca = try Self.caID(db, crl.issuer, lock: .noKeyUpdate)
            // Numbered as the current key's CRL of the run: monotonic per key as those are.
            if crl.number <= (try db.count("SELECT coalesce(max(number), 0) FROM key_crls WHERE ca_id = ? AND key_id = ?", [ca, keyID])) {
                throw CRLNumberTaken()
            }
            do {
                try db.run("""
                    INSERT INTO key_crls (ca_id, key_id, number, this_update, next_update, entries, der) VALUES (?, ?, ?, ?, ?, ?, ?)
                    """, [ca, keyID, crl.number, crl.thisUpdate, crl.nextUpdate, Int64(crl.entries), crl.der])
            } catch where db.dialect.isUniqueViolation(error, of: nil) {
                throw CRLNumberTaken()
            }
            try db.run("""
                DELETE FROM key_crls WHERE ca_id = ? AND key_id = ?
                    AND number <= (SELECT max(number) FROM key_crls WHERE ca_id = ? AND key_id = ?) - ?
                """, [ca, keyID, ca, keyID, Int64(Self.keptCRLs)])
            try Self.insertAudit(db, audit, now: now)
        }
    }
}
