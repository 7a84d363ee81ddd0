import ESTCA
import ESTCore
import ESTSQL
import Foundation

extension SQLCAStore {
    /// Only UNIQUE (issuer_ca_id, serial) is a collision worth a retry.
    static let serialKey = SQLUniqueKey(name: "certificates_serial_unique", table: "certificates", columns: ["issuer_ca_id", "serial"])

    /// Certificates `x` of one serial, whatever their issuer: through UNIQUE (issuer_ca_id,
    /// serial), one probe per CA (there is no index on serial alone since migration 15). The
    /// ids come from the index on the CAs' names (`name` is never NULL: the condition makes
    /// SQLite read them there, one small page, not from the CAs' rows, a page each with
    /// certificate and key, three reads more on every request that checks its client).
    public static let bySerial = "x.issuer_ca_id IN (SELECT id FROM cas WHERE name IS NOT NULL) AND x.serial = ?"

    static func certificates(_ db: any SQLConnection, where condition: String, _ params: [any SQLBindable]) throws -> [IssuedCertificate] {
        try db.rows("SELECT \(StoreRecords.certColumns) FROM \(StoreRecords.certFrom) WHERE \(condition)", params).map(StoreRecords.issued)
    }

    public func issuedCertificate(fingerprint: String) throws -> IssuedCertificate? {
        try read { try Self.certificates($0, where: "x.fingerprint = ?", [fingerprint]).first }
    }

    public func issuedCertificates(serial: String) throws -> [IssuedCertificate] {
        try read { try Self.certificates($0, where: "\(Self.bySerial) ORDER BY x.id", [serial]) }
    }

    public func issuedCertificate(keyIdentifier: Data) throws -> IssuedCertificate? {
        try read { try Self.certificates($0, where: "x.ski = ? ORDER BY x.id DESC LIMIT 1", [keyIdentifier.hexString]).first }
    }

    public func issuedCertificates(matching filter: CertificateFilter, now: Date) throws -> [IssuedCertificate] {
        var condition = "TRUE"
        var params: [any SQLBindable] = []
        switch filter.profile {
        case .any: break
        case .defaultProfile: condition += " AND x.profile IS NULL"
        case .label(let label): condition += " AND x.profile = ?"; params.append(label)
        }
        let nowString = Timestamp.string(now)
        switch filter.status {
        case nil: break
        case .valid?: condition += " AND x.status = 'valid' AND x.not_after >= ?"; params.append(nowString)
        case .revoked?: condition += " AND x.status = 'revoked'"
        case .expired?: condition += " AND x.status = 'valid' AND x.not_after < ?"; params.append(nowString)
        }
        if let device = filter.device {
            condition += " AND x.device_id = (SELECT id FROM devices WHERE kind = ? AND name = ?)"
            params.append(device.kind.rawValue)
            params.append(device.name)
        }
        if let days = filter.expiringWithinDays {
            condition += " AND x.status = 'valid' AND x.not_after >= ? AND x.not_after <= ?"
            params += [nowString, Timestamp.string(now.addingTimeInterval(.days(days)))]
        }
        return try read { try Self.certificates($0, where: condition + " ORDER BY x.id", params) }
    }

    /// One transaction that locks what its checks read before it reads it (where writers
    /// run side by side): the replaced certificate (FOR NO KEY UPDATE when it is revoked
    /// here, FOR SHARE when it only links the new one), the device's row, and the bootstrap
    /// certificate's use count (an advisory lock on its key and profile). A concurrent
    /// writer of the same rows waits for this commit and then reads its outcome: two
    /// re-enrollments with one certificate under --revoke-on-reenroll give one certificate
    /// and one "already renewed". On SQLite the group-commit writer runs it, alone.
    public func recordIssued(_ c: NewCertificate, conditions: IssuanceConditions, audit: AuditEvent?,
                             now: Date) throws -> IssuedCertificate {
        let stamp = Timestamp.string(now)
        return try commit { db in
            if let limit = conditions.bootstrapLimit, let requester = c.requesterKey {
                try db.dialect.advisoryLock("bootstrap-uses\u{1}\(requester)\u{1}\(c.profile ?? "")", on: db)
                let used = try db.count("""
                    SELECT count(*) FROM certificates WHERE requester_key = ? AND profile IS NOT DISTINCT FROM ?
                    """, [requester, c.profile])
                if used >= limit {
                    throw StoreError.refused("bootstrap certificate already used \(used) times (this profile allows \(limit))")
                }
            }
            let replacing = conditions.replacing
            if let old = replacing {
                // Revoked since the request was authorised: by an operator, or replaced by a
                // re-enrollment that committed first (RFC 7030 §4.2.2 replaces a certificate once
                // when the profile revokes on re-enrollment).
                let lockMode: SQLRowLock = conditions.revokeReplaced ? .noKeyUpdate : .share
                let row = try db.rows("SELECT status, revocation_reason FROM certificates WHERE id = ?\(Self.lock(db, lockMode))",
                                      [old.id]).first
                if try row?.optionalString("status") != CertificateStatus.valid.rawValue {
                    throw StoreError.revokedClient(try row?.optionalString("revocation_reason").flatMap(RevocationReason.init(rawValue:)))
                }
            }
            let (deviceID, superseded) = try conditions.device.map { try Self.claim($0, profile: c.profile, db, now: now) } ?? (nil, [])
            let renewal = replacing != nil || conditions.device?.renewal == true
            let inserted: Int64
            let receivers: [SQLRow]
            do {
                // With the subscribers of its event (locked until commit, as `notify` would):
                // independent statements, one round trip on PostgreSQL.
                let results = try db.rowsTogether([("""
                    INSERT INTO certificates (serial, issuer_ca_id, profile, subject, sans, not_before, not_after,
                        fingerprint, der, replaces_id, requester, issued_at, ski, requester_key, device_id)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    RETURNING id
                    """, [c.serial, c.issuerID, c.profile, c.subject, c.sans, c.notBefore, c.notAfter, c.fingerprint,
                          c.der, replacing?.id, c.requester, stamp, c.keyIdentifier, c.requesterKey, deviceID]),
                    Self.receiversQuery(db, renewal ? .renewed : .issued)])
                guard results.count == 2, let row = results[0].first else { throw StoreError.failed("certificate not recorded") }
                inserted = try row.requiredInt("id")
                receivers = results[1]
            } catch where db.dialect.isUniqueViolation(error, of: Self.serialKey) {
                throw SerialCollision()
            }
            if let old = replacing, conditions.revokeReplaced {
                let changed = try db.run("""
                    UPDATE certificates SET status = 'revoked', revoked_at = ?, revocation_reason = 'superseded'
                    WHERE id = ? AND status = 'valid'
                    """, [stamp, old.id])
                guard changed == 1 else { throw StoreError.revokedClient(.superseded) }
            }
            // A replaceable enrollment: the device's certificates give way to the new one.
            var revoked: [Int64] = replacing.map { conditions.revokeReplaced ? [$0.id] : [] } ?? []
            for old in superseded {
                if try db.run("""
                    UPDATE certificates SET status = 'revoked', revoked_at = ?, revocation_reason = 'superseded'
                    WHERE id = ? AND status = 'valid'
                    """, [stamp, old]) == 1 {
                    revoked.append(old)
                }
            }
            if let approved = conditions.approvedRequest {
                let changed = try db.run("""
                    UPDATE enrollment_requests SET status = 'issued', certificate_id = ? WHERE id = ? AND status = 'approved'
                    """, [inserted, approved])
                guard changed == 1 else { throw StoreError.refused("request \(approved) is no longer approved") }
            }
            if var event = audit {
                event.serial = c.serial
                try Self.insertAudit(db, event, now: now)
            }
            // The row as inserted, from what was inserted: reading it back (with its DER, on
            // the writer's connection, in the group's transaction) cost every enrollment.
            let record = IssuedCertificate(
                id: inserted, serial: c.serial, issuer: c.issuerName, profile: c.profile, subject: c.subject, sans: c.sans,
                notBefore: c.notBefore, notAfter: c.notAfter, fingerprint: c.fingerprint, der: c.der, status: .valid,
                revokedAt: nil, revocationReason: nil, replacesSerial: replacing?.serial, requester: c.requester, issuedAt: stamp)
            // The outbox: these events commit with the certificate or not at all.
            try Self.notifyIssued(db, record, renewal: renewal, operation: audit?.operation,
                                  approvedRequest: conditions.approvedRequest, now: now, receivers: receivers)
            for id in revoked { try Self.notifyRevoked(db, certificateID: id, by: audit?.operation, now: now) }
            return record
        }
    }

    public func revoke(_ certificate: IssuedCertificate, reason: RevocationReason, audit: AuditEvent,
                       now: Date) throws -> [IssuedCertificate] {
        try write { db in
            let stamp = Timestamp.string(now)
            let revokedIt = try db.run("""
                UPDATE certificates SET status = 'revoked', revoked_at = ?, revocation_reason = ?
                WHERE id = ? AND status = 'valid'
                """, [stamp, reason.rawValue, certificate.id]) == 1
            // Its successors were obtained by authenticating with it (RFC 7030 §4.2.2): they go
            // with it, so a revocation racing a re-enrollment never leaves the new one valid.
            // Under READ COMMITTED this statement sees every successor committed before it
            // started; a re-enrollment still running holds the certificate's row (FOR SHARE or
            // FOR NO KEY UPDATE) and so committed before the UPDATE above could take it.
            let successors = try db.rows("""
                WITH RECURSIVE line(id) AS (
                    SELECT id FROM certificates WHERE replaces_id = ?
                    UNION SELECT c.id FROM certificates c JOIN line ON c.replaces_id = line.id
                )
                SELECT id FROM line ORDER BY id
                """, [certificate.id]).map { try $0.requiredInt("id") }
            var changed: [Int64] = revokedIt ? [certificate.id] : []
            for id in successors {
                if try db.run("""
                    UPDATE certificates SET status = 'revoked', revoked_at = ?, revocation_reason = ?
                    WHERE id = ? AND status = 'valid'
                    """, [stamp, reason.rawValue, id]) == 1 {
                    changed.append(id)
                }
            }
            guard !changed.isEmpty else { throw StoreError.conflict("certificate \(certificate.serial) is already revoked") }
            var event = audit
            if changed.count > 1 { event.reason += " (with \(changed.count - (revokedIt ? 1 : 0)) successor(s))" }
            try Self.insertAudit(db, event, now: now)
            for id in changed { try Self.notifyRevoked(db, certificateID: id, by: audit.client, now: now) }
            return try changed.map { id in
                guard let record = try Self.certificates(db, where: "x.id = ?", [id]).first else {
                    throw StoreError.failed("revoked certificate vanished")
                }
                return record
            }
        }
    }

    /// The registry's rules for `claim` in the recording transaction, with the device's row
    /// locked (FOR NO KEY UPDATE) so that concurrent first enrollments of one device take
    /// turns: returns the device to link the certificate to (recording it under `jit`) and
    /// the certificates that a replaceable enrollment supersedes.
    static func claim(_ claim: DeviceClaim, profile: String?, _ db: any SQLConnection, now: Date) throws -> (Int64?, [Int64]) {
        var deviceID: Int64? = nil
        // Twice at most: a `jit` insert that loses to a concurrent one reads the winner's row.
        for _ in 0..<2 where deviceID == nil {
            if let device = try devices(db, where: "kind = ? AND name = ?\(lock(db, .noKeyUpdate))",
                                        [claim.device.kind.rawValue, claim.name]).first {
                try CertificateAuthority.check(device, claim: claim, profile: profile)
                // A device registered elsewhere is not this registry-less profile's to link.
                guard claim.registration != .off || device.profile == profile else { return (nil, []) }
                deviceID = device.id
            } else {
                switch claim.registration {
                case .off: return (nil, [])
                case .preregistered: throw StoreError.refused("device not registered")
                case .jit:
                    // ON CONFLICT waits for a concurrent insert of the name, then does nothing.
                    deviceID = try db.rows("""
                        INSERT INTO devices (kind, name, profile, source, created_at) VALUES (?, ?, ?, 'jit', ?)
                        ON CONFLICT (kind, name) DO NOTHING RETURNING id
                        """, [claim.device.kind.rawValue, claim.name, profile, Timestamp.string(now)]).first.map { try $0.requiredInt("id") }
                }
            }
        }
        guard let deviceID else { throw StoreError.failed("device \(claim.name) neither found nor recorded") }
        guard !claim.renewal, claim.registration != .off else { return (deviceID, []) }
        let held = try db.rows("SELECT id FROM certificates WHERE device_id = ? AND status = 'valid' AND not_after >= ?",
                               [deviceID, Timestamp.string(now)]).map { try $0.requiredInt("id") }
        if !held.isEmpty, !claim.replaceable { throw StoreError.refused("device already enrolled, use simplereenroll") }
        if !held.isEmpty, let replacer = claim.replacer {
            // Only the bootstrap certificate that first enrolled the device may replace its
            // certificates (renewals carry no bootstrap: their line's first one counts).
            let origins = try db.rows("""
                WITH RECURSIVE line(id, replaces_id, requester_key) AS (
                    SELECT id, replaces_id, requester_key FROM certificates
                    WHERE device_id = ? AND status = 'valid' AND not_after >= ?
                    UNION ALL
                    SELECT c.id, c.replaces_id, c.requester_key FROM certificates c JOIN line ON c.id = line.replaces_id
                )
                SELECT requester_key FROM line WHERE replaces_id IS NULL
                """, [deviceID, Timestamp.string(now)]).map { try $0.optionalString("requester_key") }
            guard origins.allSatisfy({ $0 == replacer }) else {
                throw StoreError.refused("device already enrolled with another bootstrap certificate, use simplereenroll")
            }
        }
        return (deviceID, held)
    }
}
