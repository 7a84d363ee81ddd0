import ESTCA
import ESTCore
import ESTPostgres
import Foundation

extension PostgresCAStore {
    /// How many of a CA's CRLs are kept: the latest is served, a few before it explain it.
    static let keptCRLs = 10

    public func revokedCertificates(issuer: String, now: Date) throws -> [IssuedCertificate] {
        try read {
            try Self.certificates(db, where: "c.name = $1 AND x.status = 'revoked' AND x.not_after >= $2 ORDER BY x.id",
                                  [issuer, Timestamp.string(now)])
        }
    }

    public func latestCRL(issuer: String) throws -> PublishedCRL? {
        try read {
            try db.query("""
                SELECT c.name AS issuer, l.number, l.this_update, l.next_update, l.entries, l.der
                FROM crls l JOIN cas c ON c.id = l.ca_id WHERE c.name = $1 ORDER BY l.number DESC LIMIT 1
                """, [issuer]).first.map { r in
                PublishedCRL(issuer: try r.requiredString("issuer"), number: try r.requiredInt("number"),
                             thisUpdate: try r.requiredString("this_update"), nextUpdate: try r.requiredString("next_update"),
                             entries: Int(try r.requiredInt("entries")), der: try r.requiredData("der"))
            }
        }
    }

    public func recordCRL(_ crl: PublishedCRL, audit: AuditEvent, now: Date) throws {
        do {
            try write {
                // The CA row locked: two CRLs of one CA are numbered one after the other.
                guard let ca = try db.query("SELECT id FROM cas WHERE name = $1 FOR NO KEY UPDATE", [crl.issuer]).first?.int("id") else {
                    throw CAError.notFound("no CA named '\(crl.issuer)'")
                }
                // A number at or below one already published would not be monotonic (§5.2.3).
                if case .integer(let highest) = try db.scalar("SELECT coalesce(max(number), 0) FROM crls WHERE ca_id = $1", [ca]),
                   crl.number <= highest {
                    throw CRLNumberTaken()
                }
                try db.execute("""
                    INSERT INTO crls (ca_id, number, this_update, next_update, entries, der) VALUES ($1, $2, $3, $4, $5, $6)
                    """, [ca, crl.number, crl.thisUpdate, crl.nextUpdate, Int64(crl.entries), crl.der])
                try db.execute("""
                    DELETE FROM crls WHERE ca_id = $1 AND number <= (SELECT max(number) FROM crls WHERE ca_id = $1) - $2
                    """, [ca, Int64(Self.keptCRLs)])
                try recordAudit(audit, now: now)
            }
        } catch CAError.internalFailure(let why) where why.contains("PostgreSQL error 23505") {
            throw CRLNumberTaken()
        }
    }
}
