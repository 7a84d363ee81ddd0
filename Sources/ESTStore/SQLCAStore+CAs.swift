import ESTCA
import ESTCore
import ESTSQL
import Foundation

extension SQLCAStore {
    static func ca(_ db: any SQLConnection, named name: String) throws -> CARecord? {
        try db.rows("SELECT \(StoreRecords.caColumns) FROM cas WHERE name = ?", [name]).first.map(StoreRecords.ca)
    }

    static func caID(_ db: any SQLConnection, _ name: String, lock: SQLRowLock? = nil) throws -> Int64 {
        guard let row = try db.rows("SELECT id FROM cas WHERE name = ?\(lock.map { db.dialect.rowLock($0) } ?? "")", [name]).first else {
            throw StoreError.notFound("no CA named '\(name)'")
        }
        return try row.requiredInt("id")
    }

    public func ca(named name: String) throws -> CARecord? {
        try read { try Self.ca($0, named: name) }
    }

    public func allCAs() throws -> [CARecord] {
        try read { try $0.rows("SELECT \(StoreRecords.caColumns) FROM cas ORDER BY id", []).map(StoreRecords.ca) }
    }

    public func insertCA(_ ca: NewCA, audit: AuditEvent, now: Date) throws -> CARecord {
        try write { db in
            if try Self.ca(db, named: ca.name) != nil { throw StoreError.conflict("a CA named '\(ca.name)' already exists") }
            let fingerprint = ca.certificate.fingerprint.hexString
            if let other = try db.rows("SELECT name FROM cas WHERE fingerprint = ?", [fingerprint]).first {
                throw StoreError.conflict("this certificate is already in the store as CA '\(try other.requiredString("name"))'")
            }
            try db.run("""
                INSERT INTO cas (name, subject, certificate, chain_pem, encrypted_key, key_protection, not_after, fingerprint,
                    created_at, pkcs11_uri, pkcs11_module)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """, [ca.name, ca.certificate.subject.string, ca.certificate.der, ca.chainPEM, ca.encryptedKeyPEM, ca.keyProtection,
                      Timestamp.string(ca.certificate.notAfter), fingerprint, Timestamp.string(now),
                      ca.encryptedKeyPEM == nil ? ca.tokenKey?.uriText : nil, ca.encryptedKeyPEM == nil ? ca.tokenKey?.module : nil])
            try Self.insertAudit(db, audit, now: now)
            guard let record = try Self.ca(db, named: ca.name) else { throw StoreError.failed("inserted CA vanished") }
            return record
        }
    }

    public func setStatus(_ status: CAStatus, ofCA name: String, audit: AuditEvent, now: Date) throws -> CARecord {
        try write { db in
            let changed = try db.run("UPDATE cas SET status = ? WHERE name = ?", [status.rawValue, name])
            guard changed == 1, let record = try Self.ca(db, named: name) else { throw StoreError.notFound("no CA named '\(name)'") }
            try Self.insertAudit(db, audit, now: now)
            return record
        }
    }

    public func replaceKey(ofCA name: String, encryptedKeyPEM: String, protection: String, audit: AuditEvent, now: Date) throws {
        try write { db in
            let changed = try db.run("UPDATE cas SET encrypted_key = ?, key_protection = ? WHERE name = ? AND encrypted_key IS NOT NULL",
                                     [encryptedKeyPEM, protection, name])
            guard changed == 1 else { throw StoreError.notFound("no CA named '\(name)' with a key") }
            try Self.insertAudit(db, audit, now: now)
        }
    }
}
