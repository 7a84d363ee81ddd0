import ESTCA
import ESTCore
import ESTSQL
import Foundation

extension SQLCAStore {
    /// The default profile has label NULL: one UNIQUE index makes it and the labels unique.
    static let profileLabelKey = SQLUniqueKey(name: "profiles_label", table: "profiles", columns: ["label"])

    /// A profile row with its trust and cacerts CAs (rows of their own).
    static func profileRecord(_ db: any SQLConnection, _ r: SQLRow) throws -> Profile {
        let id = try r.requiredInt("id")
        return try StoreRecords.profile(r, trust: try caNames(db, of: id, in: "profile_trust"),
                                        cacerts: try caNames(db, of: id, in: "profile_cacerts"))
    }

    private static func caNames(_ db: any SQLConnection, of profileID: Int64, in table: String) throws -> [String] {
        try db.rows("SELECT c.name FROM \(table) t JOIN cas c ON c.id = t.ca_id WHERE t.profile_id = ? ORDER BY t.position",
                    [profileID]).map { try $0.requiredString("name") }
    }

    public func profile(label: String?) throws -> Profile? {
        try read { db in
            try db.rows("SELECT \(StoreRecords.profileColumns) FROM \(StoreRecords.profileFrom) WHERE p.label IS NOT DISTINCT FROM ?",
                        [label]).first.map { try Self.profileRecord(db, $0) }
        }
    }

    public func allProfiles() throws -> [Profile] {
        try read { db in
            // The default profile (label NULL) first, then by label.
            try db.rows("SELECT \(StoreRecords.profileColumns) FROM \(StoreRecords.profileFrom) ORDER BY p.label IS NOT NULL, p.label", [])
                .map { try Self.profileRecord(db, $0) }
        }
    }

    public func saveProfile(_ p: Profile, replace: Bool, audit: AuditEvent, now: Date) throws {
        try write { db in
            let existing = try db.rows("SELECT id FROM profiles WHERE label IS NOT DISTINCT FROM ?\(Self.lock(db, .update))", [p.label])
                .first.map { try $0.requiredInt("id") }
            if existing != nil, !replace { throw StoreError.conflict("profile \(p.displayName) already exists") }
            if existing == nil, replace { throw StoreError.notFound("no profile \(p.displayName)") }
            let issuer = try Self.caID(db, p.issuer)
            let trust = try p.trust.map { try Self.caID(db, $0) }
            let cacerts = try p.cacerts.map { try Self.caID(db, $0) }
            let stamp = Timestamp.string(now)
            // Flags are INTEGER 0/1 on both engines (the same values, so `store copy` moves rows unchanged).
            func flag(_ b: Bool) -> Int64 { b ? 1 : 0 }
            let values: [any SQLBindable] = [
                issuer, p.validityDays, p.keyTypes.map(\.description).joined(separator: ","),
                p.eku.map(\.description).joined(separator: ","), p.reenrollWindowDays, flag(p.revokeOnReenroll),
                p.serverKeygen?.rawValue, flag(p.serverKeygenEncrypt), p.csrAttrs.map(\.description).joined(separator: ","),
                flag(p.enforceCsrAttrs), p.identity.sanKinds.map(IdentityPolicy.name).joined(separator: ","), p.identity.maxSANs,
                p.identity.maxSubjectBytes, p.identity.binding.rawValue, p.identity.cnPattern, p.identity.dnsPattern,
                p.identity.bootstrapUses, p.auth.rawValue, p.registration.rawValue, p.deviceID.rawValue,
                flag(p.replaceableEnrollment), p.approval.rawValue, p.approvalRetryAfter, p.crlURL,
                try p.crlCA.map { try Self.caID(db, $0) }, p.ocspURL, stamp,
            ]
            let id: Int64
            if let existing {
                try db.run("""
                    UPDATE profiles SET issuer_ca_id = ?, validity_days = ?, key_types = ?, eku = ?,
                        reenroll_window_days = ?, revoke_on_reenroll = ?, serverkeygen = ?, serverkeygen_encrypt = ?,
                        csrattrs = ?, enforce_csrattrs = ?, san_kinds = ?, max_sans = ?, max_subject_bytes = ?,
                        bind_identity = ?, cn_pattern = ?, dns_pattern = ?, bootstrap_uses = ?, auth = ?, registration = ?,
                        device_id = ?, replaceable_enrollment = ?, approval = ?, approval_retry_after = ?, crl_url = ?,
                        crl_ca_id = ?, ocsp_url = ?, updated_at = ?
                    WHERE id = ?
                    """, values + [existing])
                id = existing
                try db.run("DELETE FROM profile_trust WHERE profile_id = ?", [id])
                try db.run("DELETE FROM profile_cacerts WHERE profile_id = ?", [id])
            } else {
                do {
                    guard let row = try db.rows("""
                        INSERT INTO profiles (issuer_ca_id, validity_days, key_types, eku, reenroll_window_days,
                            revoke_on_reenroll, serverkeygen, serverkeygen_encrypt, csrattrs, enforce_csrattrs, san_kinds,
                            max_sans, max_subject_bytes, bind_identity, cn_pattern, dns_pattern, bootstrap_uses, auth,
                            registration, device_id, replaceable_enrollment, approval, approval_retry_after, crl_url, crl_ca_id,
                            ocsp_url, updated_at, created_at, label)
                        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                        RETURNING id
                        """, values + [stamp, p.label]).first else {
                        throw StoreError.failed("profile not recorded")
                    }
                    id = try row.requiredInt("id")
                } catch where db.dialect.isUniqueViolation(error, of: Self.profileLabelKey) {
                    // Created by another host at the same instant.
                    throw StoreError.conflict("profile \(p.displayName) already exists")
                }
            }
            // The authorization hook (migration 13), a statement of its own.
            let hook = p.authorize
            try db.run("""
                UPDATE profiles SET authorize_url = ?, authorize_command = ?, authorize_timeout_ms = ?, authorize_ca = ?,
                    authorize_client_cert = ?, authorize_client_key = ?
                WHERE id = ?
                """, [hook?.url, hook?.command, hook?.timeoutMilliseconds ?? AuthorizationHook.defaultTimeoutMilliseconds,
                      hook?.caFile, hook?.clientCertificateFile, hook?.clientKeyFile, id])
            for (position, ca) in trust.enumerated() {
                try db.run("INSERT INTO profile_trust (profile_id, ca_id, position) VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
                           [id, ca, position])
            }
            for (position, ca) in cacerts.enumerated() {
                try db.run("INSERT INTO profile_cacerts (profile_id, ca_id, position) VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
                           [id, ca, position])
            }
            try Self.insertAudit(db, audit, now: now)
        }
    }

    public func deleteProfile(label: String?, audit: AuditEvent, now: Date) throws {
        try write { db in
            let removed = try db.run("DELETE FROM profiles WHERE label IS NOT DISTINCT FROM ?", [label])
            guard removed == 1 else { throw StoreError.notFound("no profile \(label ?? "(default)")") }
            try Self.insertAudit(db, audit, now: now)
        }
    }
}
