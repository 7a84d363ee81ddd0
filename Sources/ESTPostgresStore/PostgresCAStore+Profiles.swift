import ESTCA
import ESTCore
import ESTStoreRecords
import ESTPostgres
import Foundation

extension PostgresCAStore {
    /// A profile row with its trust and cacerts CAs (rows of their own).
    func profileRecord(_ r: PGRow) throws -> Profile {
        let id = try r.requiredInt("id")
        return try StoreRecords.profile(r, trust: try caNames(of: id, in: "profile_trust"),
                                        cacerts: try caNames(of: id, in: "profile_cacerts"))
    }

    private func caNames(of profileID: Int64, in table: String) throws -> [String] {
        try db.query("SELECT c.name FROM \(table) t JOIN cas c ON c.id = t.ca_id WHERE t.profile_id = $1 ORDER BY t.position",
                     [profileID]).compactMap { $0.string("name") }
    }

    public func profile(label: String?) throws -> Profile? {
        try read {
            try db.query("SELECT \(StoreRecords.profileColumns) FROM \(StoreRecords.profileFrom) WHERE p.label IS NOT DISTINCT FROM $1", [label])
                .first.map(profileRecord)
        }
    }

    public func allProfiles() throws -> [Profile] {
        try read {
            // The default profile (label NULL) first, then by label: SQLite's order.
            try db.query("SELECT \(StoreRecords.profileColumns) FROM \(StoreRecords.profileFrom) ORDER BY p.label IS NOT NULL, p.label")
                .map(profileRecord)
        }
    }

    public func saveProfile(_ p: Profile, replace: Bool, audit: AuditEvent, now: Date) throws {
        do {
            try write {
                let existing = try db.query("SELECT id FROM profiles WHERE label IS NOT DISTINCT FROM $1 FOR UPDATE", [p.label])
                    .first?.int("id")
                if existing != nil, !replace { throw CAError.badRequest("profile \(p.displayName) already exists") }
                if existing == nil, replace { throw CAError.notFound("no profile \(p.displayName)") }
                let issuer = try caID(p.issuer)
                let trust = try p.trust.map(caID)
                let cacerts = try p.cacerts.map(caID)
                let stamp = Timestamp.string(now)
                func flag(_ b: Bool) -> Int64 { b ? 1 : 0 }
                let values: [any PGBindable] = [
                    issuer, p.validityDays, p.keyTypes.map(\.description).joined(separator: ","),
                    p.eku.map(\.description).joined(separator: ","), p.reenrollWindowDays, flag(p.revokeOnReenroll),
                    p.serverKeygen?.rawValue, flag(p.serverKeygenEncrypt), p.csrAttrs.map(\.description).joined(separator: ","),
                    flag(p.enforceCsrAttrs), p.identity.sanKinds.map(IdentityPolicy.name).joined(separator: ","), p.identity.maxSANs,
                    p.identity.maxSubjectBytes, p.identity.binding.rawValue, p.identity.cnPattern, p.identity.dnsPattern,
                    p.identity.bootstrapUses, p.auth.rawValue, p.registration.rawValue, p.deviceID.rawValue,
                    flag(p.replaceableEnrollment), p.approval.rawValue, p.approvalRetryAfter, p.crlURL, try p.crlCA.map(caID), stamp,
                ]
                let id: Int64
                if let existing {
                    try db.execute("""
                        UPDATE profiles SET issuer_ca_id = $1, validity_days = $2, key_types = $3, eku = $4,
                            reenroll_window_days = $5, revoke_on_reenroll = $6, serverkeygen = $7, serverkeygen_encrypt = $8,
                            csrattrs = $9, enforce_csrattrs = $10, san_kinds = $11, max_sans = $12, max_subject_bytes = $13,
                            bind_identity = $14, cn_pattern = $15, dns_pattern = $16, bootstrap_uses = $17, auth = $18,
                            registration = $19, device_id = $20, replaceable_enrollment = $21, approval = $22,
                            approval_retry_after = $23, crl_url = $24, crl_ca_id = $25, updated_at = $26
                        WHERE id = $27
                        """, values + [existing])
                    id = existing
                    try db.execute("DELETE FROM profile_trust WHERE profile_id = $1", [id])
                    try db.execute("DELETE FROM profile_cacerts WHERE profile_id = $1", [id])
                } else {
                    guard let new = try db.query("""
                        INSERT INTO profiles (issuer_ca_id, validity_days, key_types, eku, reenroll_window_days,
                            revoke_on_reenroll, serverkeygen, serverkeygen_encrypt, csrattrs, enforce_csrattrs, san_kinds,
                            max_sans, max_subject_bytes, bind_identity, cn_pattern, dns_pattern, bootstrap_uses, auth,
                            registration, device_id, replaceable_enrollment, approval, approval_retry_after, crl_url, crl_ca_id,
                            updated_at, created_at, label)
                        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21,
                                $22, $23, $24, $25, $26, $27, $28)
                        RETURNING id
                        """, values + [stamp, p.label]).first?.int("id") else {
                        throw CAError.internalFailure("profile not recorded")
                    }
                    id = new
                }
                for (position, ca) in trust.enumerated() {
                    try db.execute("""
                        INSERT INTO profile_trust (profile_id, ca_id, position) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING
                        """, [id, ca, position])
                }
                for (position, ca) in cacerts.enumerated() {
                    try db.execute("""
                        INSERT INTO profile_cacerts (profile_id, ca_id, position) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING
                        """, [id, ca, position])
                }
                try recordAudit(audit, now: now)
            }
        } catch CAError.internalFailure(let why) where why.contains("PostgreSQL error 23505") && why.contains("profiles_label") {
            // Created by another host at the same instant.
            throw CAError.badRequest("profile \(p.displayName) already exists")
        }
    }

    private func caID(_ name: String) throws -> Int64 {
        guard let id = try db.query("SELECT id FROM cas WHERE name = $1", [name]).first?.int("id") else {
            throw CAError.notFound("no CA named '\(name)'")
        }
        return id
    }

    public func deleteProfile(label: String?, audit: AuditEvent, now: Date) throws {
        try write {
            let removed = try db.execute("DELETE FROM profiles WHERE label IS NOT DISTINCT FROM $1", [label])
            guard removed == 1 else { throw CAError.notFound("no profile \(label ?? "(default)")") }
            try recordAudit(audit, now: now)
        }
    }
}
