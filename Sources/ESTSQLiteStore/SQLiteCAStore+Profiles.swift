import ESTCA
import ESTCore
import ESTStoreRecords
import ESTSQLite
import Foundation

extension SQLiteCAStore {
    /// A profile row with its trust and cacerts CAs (rows of their own).
    func profileRecord(_ r: Row) throws -> Profile {
        let id = try r.requiredInt("id")
        return try StoreRecords.profile(r, trust: try caNames(of: id, in: "profile_trust"),
                                        cacerts: try caNames(of: id, in: "profile_cacerts"))
    }

    private func caNames(of profileID: Int64, in table: String) throws -> [String] {
        try db.query("SELECT c.name FROM \(table) t JOIN cas c ON c.id = t.ca_id WHERE t.profile_id = ? ORDER BY t.position",
                     [profileID]).compactMap { $0.string("name") }
    }

    public func profile(label: String?) throws -> Profile? {
        try read {
            try db.query("SELECT \(StoreRecords.profileColumns) FROM \(StoreRecords.profileFrom) WHERE p.label IS ?", [label])
                .first.map(profileRecord)
        }
    }

    public func allProfiles() throws -> [Profile] {
        try read {
            try db.query("SELECT \(StoreRecords.profileColumns) FROM \(StoreRecords.profileFrom) ORDER BY p.label IS NOT NULL, p.label")
                .map(profileRecord)
        }
    }

    public func saveProfile(_ p: Profile, replace: Bool, audit: AuditEvent, now: Date) throws {
        try write {
            let existing = try db.query("SELECT id FROM profiles WHERE label IS ?", [p.label]).first?.int("id")
            if existing != nil, !replace { throw CAError.badRequest("profile \(p.displayName) already exists") }
            if existing == nil, replace { throw CAError.notFound("no profile \(p.displayName)") }
            let issuer = try caID(p.issuer)
            let trust = try p.trust.map(caID)
            let cacerts = try p.cacerts.map(caID)
            let stamp = Timestamp.string(now)
            let values: [any SQLBindable] = [
                issuer, p.validityDays, p.keyTypes.map(\.description).joined(separator: ","),
                p.eku.map(\.description).joined(separator: ","), p.reenrollWindowDays, p.revokeOnReenroll,
                p.serverKeygen?.rawValue, p.serverKeygenEncrypt, p.csrAttrs.map(\.description).joined(separator: ","),
                p.enforceCsrAttrs, p.identity.sanKinds.map(IdentityPolicy.name).joined(separator: ","), p.identity.maxSANs,
                p.identity.maxSubjectBytes, p.identity.binding.rawValue, p.identity.cnPattern, p.identity.dnsPattern,
                p.identity.bootstrapUses, p.auth.rawValue, p.registration.rawValue, p.deviceID.rawValue,
                p.replaceableEnrollment, p.approval.rawValue, p.approvalRetryAfter, p.crlURL, try p.crlCA.map(caID), stamp,
            ]
            let id: Int64
            if let existing {
                try db.execute("""
                    UPDATE profiles SET issuer_ca_id = ?, validity_days = ?, key_types = ?, eku = ?,
                        reenroll_window_days = ?, revoke_on_reenroll = ?, serverkeygen = ?, serverkeygen_encrypt = ?,
                        csrattrs = ?, enforce_csrattrs = ?, san_kinds = ?, max_sans = ?, max_subject_bytes = ?,
                        bind_identity = ?, cn_pattern = ?, dns_pattern = ?, bootstrap_uses = ?, auth = ?, registration = ?,
                        device_id = ?, replaceable_enrollment = ?, approval = ?, approval_retry_after = ?, crl_url = ?,
                        crl_ca_id = ?, updated_at = ?
                    WHERE id = ?
                    """, values + [existing])
                id = existing
                try db.execute("DELETE FROM profile_trust WHERE profile_id = ?", [id])
                try db.execute("DELETE FROM profile_cacerts WHERE profile_id = ?", [id])
            } else {
                try db.execute("""
                    INSERT INTO profiles (issuer_ca_id, validity_days, key_types, eku, reenroll_window_days,
                        revoke_on_reenroll, serverkeygen, serverkeygen_encrypt, csrattrs, enforce_csrattrs, san_kinds,
                        max_sans, max_subject_bytes, bind_identity, cn_pattern, dns_pattern, bootstrap_uses, auth,
                        registration, device_id, replaceable_enrollment, approval, approval_retry_after, crl_url, crl_ca_id,
                        updated_at, created_at, label)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """, values + [stamp, p.label])
                id = db.lastInsertRowID
            }
            for (position, ca) in trust.enumerated() {
                try db.execute("INSERT OR IGNORE INTO profile_trust (profile_id, ca_id, position) VALUES (?, ?, ?)",
                               [id, ca, position])
            }
            for (position, ca) in cacerts.enumerated() {
                try db.execute("INSERT OR IGNORE INTO profile_cacerts (profile_id, ca_id, position) VALUES (?, ?, ?)",
                               [id, ca, position])
            }
            try recordAudit(audit, now: now)
        }
    }

    private func caID(_ name: String) throws -> Int64 {
        guard let id = try db.query("SELECT id FROM cas WHERE name = ?", [name]).first?.int("id") else {
            throw CAError.notFound("no CA named '\(name)'")
        }
        return id
    }

    public func deleteProfile(label: String?, audit: AuditEvent, now: Date) throws {
        try write {
            try db.execute("DELETE FROM profiles WHERE label IS ?", [label])
            guard db.changes == 1 else { throw CAError.notFound("no profile \(label ?? "(default)")") }
            try recordAudit(audit, now: now)
        }
    }
}
