import ESTCA
import ESTCore
import ESTPostgres
import Foundation

extension PostgresCAStore {
    private static let denialColumns = "c.name AS issuer, d.serial, d.fingerprint, d.reason, d.created_at"
    private static let denialFrom = "bootstrap_denials d JOIN cas c ON c.id = d.issuer_ca_id"

    private func denial(_ r: PGRow) throws -> BootstrapDenial {
        let key: BootstrapDenial.Key
        if let serial = r.string("serial") { key = .serial(serial) } else { key = .fingerprint(try r.requiredString("fingerprint")) }
        return BootstrapDenial(issuer: try r.requiredString("issuer"), key: key, reason: try r.requiredString("reason"),
                               createdAt: try r.requiredString("created_at"))
    }

    private static func columns(_ key: BootstrapDenial.Key) -> (serial: String?, fingerprint: String?) {
        switch key {
        case .serial(let s): return (s, nil)
        case .fingerprint(let f): return (nil, f)
        }
    }

    public func bootstrapDenials() throws -> [BootstrapDenial] {
        try read { try db.query("SELECT \(Self.denialColumns) FROM \(Self.denialFrom) ORDER BY d.id").map(denial) }
    }

    public func bootstrapDenials(serial: String, fingerprint: String) throws -> [BootstrapDenial] {
        try read {
            try db.query("SELECT \(Self.denialColumns) FROM \(Self.denialFrom) WHERE d.serial = $1 OR d.fingerprint = $2",
                         [serial, fingerprint]).map(denial)
        }
    }

    public func addBootstrapDenial(_ d: BootstrapDenial, audit: AuditEvent, now: Date) throws {
        let (serial, fingerprint) = Self.columns(d.key)
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
        let (serial, fingerprint) = Self.columns(key)
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
