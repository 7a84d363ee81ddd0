import ESTCA
import ESTCore
import ESTOpenSSL
import ESTSQL
import Foundation

/// CA generations ("rollover" migration): a CA's earlier certificates and keys, kept after
/// `ca rollover` (RFC 4210 §4.4) or `ca renew` made a new one current.
extension SQLCAStore {
    static let generationColumns = """
        g.id, c.name, g.certificate, g.chain_pem, g.encrypted_key, g.key_protection, g.new_with_old, g.old_with_new,
        g.in_overlap, g.retired_at, g.pkcs11_uri, g.pkcs11_module
        """

    static func generation(_ r: SQLRow) throws -> CAGeneration {
        let name = try r.requiredString("name")
        do {
            return CAGeneration(
                id: try r.requiredInt("id"), caName: name, certificate: try Certificate(der: try r.requiredData("certificate")),
                chain: try Certificate.all(fromPEM: try r.requiredString("chain_pem")),
                encryptedKeyPEM: try r.optionalString("encrypted_key"), keyProtection: try r.optionalString("key_protection"),
                newWithOld: try r.data("new_with_old").map { try Certificate(der: $0) },
                oldWithNew: try r.data("old_with_new").map { try Certificate(der: $0) },
                inOverlap: try r.requiredBool("in_overlap"), retiredAt: try r.requiredString("retired_at"),
                tokenKey: try r.optionalString("pkcs11_uri").map {
                    try TokenKeyReference(stored: $0, module: try r.optionalString("pkcs11_module"))
                })
        } catch {
            throw StoreRecords.unreadable("a generation of CA '\(name)'", error)
        }
    }

    public func caGenerations(ofCA name: String?) throws -> [CAGeneration] {
        try read { db in
            let sql = "SELECT \(Self.generationColumns) FROM ca_generations g JOIN cas c ON c.id = g.ca_id"
            if let name { return try db.rows(sql + " WHERE c.name = ? ORDER BY g.id", [name]).map(Self.generation) }
            return try db.rows(sql + " ORDER BY g.id", []).map(Self.generation)
        }
    }

    public func replaceCertificate(_ r: CAReplacement, audit: AuditEvent, now: Date) throws -> CARecord {
        try write { db in
            let id = try Self.caID(db, r.name, lock: .noKeyUpdate)
            // What the caller built from must still be current: two runs at once make one.
            guard let current = try Self.ca(db, named: r.name), current.certificate == r.replacing else {
                throw StoreError.conflict("CA '\(r.name)' changed meanwhile; run the command again")
            }
            if r.isRollover, try db.count("SELECT count(*) FROM ca_generations WHERE ca_id = ? AND in_overlap = 1", [id]) > 0 {
                throw StoreError.conflict("CA '\(r.name)' has a rollover in progress; end it first (ca rollover --name \(r.name) --finish)")
            }
            let fingerprint = r.certificate.fingerprint.hexString
            if let other = try db.rows("SELECT name FROM cas WHERE fingerprint = ?", [fingerprint]).first {
                throw StoreError.conflict("this certificate is already in the store as CA '\(try other.requiredString("name"))'")
            }
            try db.run("""
                INSERT INTO ca_generations (ca_id, certificate, chain_pem, encrypted_key, key_protection, not_after, fingerprint,
                    new_with_old, old_with_new, in_overlap, retired_at, pkcs11_uri, pkcs11_module)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """, [id, current.certificate.der, current.chain.map(\.pem).joined(), current.encryptedKeyPEM, current.keyProtection,
                      Timestamp.string(current.certificate.notAfter), current.certificate.fingerprint.hexString,
                      r.newWithOld?.der, r.oldWithNew?.der, r.isRollover ? 1 : 0, Timestamp.string(now),
                      current.tokenKey?.uriText, current.tokenKey?.module])
            try db.run("""
                UPDATE cas SET subject = ?, certificate = ?, chain_pem = ?, encrypted_key = ?, key_protection = ?, not_after = ?,
                    fingerprint = ?, pkcs11_uri = ?, pkcs11_module = ?
                WHERE id = ?
                """, [r.certificate.subject.string, r.certificate.der, r.chainPEM, r.encryptedKeyPEM, r.keyProtection,
                      Timestamp.string(r.certificate.notAfter), fingerprint, r.tokenKey?.uriText, r.tokenKey?.module, id])
            try Self.insertAudit(db, audit, now: now)
            guard let record = try Self.ca(db, named: r.name) else { throw StoreError.failed("replaced CA vanished") }
            return record
        }
    }

    public func finishOverlap(ofCA name: String, audit: AuditEvent, now: Date) throws {
        try write { db in
            let id = try Self.caID(db, name, lock: .noKeyUpdate)
            let changed = try db.run("UPDATE ca_generations SET in_overlap = 0 WHERE ca_id = ? AND in_overlap = 1", [id])
            guard changed > 0 else { throw StoreError.conflict("CA '\(name)' has no rollover in progress") }
            try Self.insertAudit(db, audit, now: now)
        }
    }
}
