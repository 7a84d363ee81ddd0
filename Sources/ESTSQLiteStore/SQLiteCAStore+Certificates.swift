import ESTCore
import ESTStoreRecords
import ESTCA
import ESTSQLite
import Foundation

extension SQLiteCAStore {
    private func certificates(where condition: String, _ params: [any SQLBindable]) throws -> [IssuedCertificate] {
        try Self.certificates(db, where: condition, params)
    }

    static func certificates(_ db: Database, where condition: String, _ params: [any SQLBindable]) throws -> [IssuedCertificate] {
        try db.query("SELECT \(StoreRecords.certColumns) FROM \(StoreRecords.certFrom) WHERE \(condition)", params).map(StoreRecords.issued)
    }

    public func issuedCertificate(fingerprint: String) throws -> IssuedCertificate? {
        try read { try certificates(where: "x.fingerprint = ?", [fingerprint]).first }
    }

    public func issuedCertificates(serial: String) throws -> [IssuedCertificate] {
        try read { try certificates(where: "x.serial = ? ORDER BY x.id", [serial]) }
    }

    public func issuedCertificate(keyIdentifier: Data) throws -> IssuedCertificate? {
        try read { try certificates(where: "x.ski = ? ORDER BY x.id DESC LIMIT 1", [keyIdentifier.hexString]).first }
    }

    public func issuedCertificates(matching filter: CertificateFilter, now: Date) throws -> [IssuedCertificate] {
        var condition = "1"
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
        return try read { try certificates(where: condition + " ORDER BY x.id", params) }
    }

    public func recordIssued(_ c: NewCertificate, conditions: IssuanceConditions, audit: AuditEvent?,
                             now: Date) throws -> IssuedCertificate {
        let stamp = Timestamp.string(now)
        // Every check that another request could invalidate runs here, under the write lock:
        // two requests at once cannot both pass it.
        return try commit { db in
            if let limit = conditions.bootstrapLimit, let requester = c.requesterKey {
                let used = try db.scalar("SELECT count(*) FROM certificates WHERE requester_key = ? AND profile IS ?",
                                         [requester, c.profile])
                if case .integer(let n) = used, n >= limit {
                    throw CAError.forbidden("bootstrap certificate already used \(n) times (this profile allows \(limit))")
                }
            }
            let replacing = conditions.replacing
            if let old = replacing {
                // Revoked since the request was authorised: by an operator, or replaced by a
                // re-enrollment that committed first (RFC 7030 §4.2.2 replaces a certificate once
                // when the profile revokes on re-enrollment).
                let row = try db.query("SELECT status, revocation_reason FROM certificates WHERE id = ?", [old.id]).first
                if row?.string("status") != CertificateStatus.valid.rawValue {
                    throw CAError.revokedClient(row?.string("revocation_reason").flatMap(RevocationReason.init(rawValue:)))
                }
            }
            let (deviceID, superseded) = try conditions.device.map { try Self.claim($0, profile: c.profile, db, now: now) } ?? (nil, [])
            do {
                try db.execute("""
                    INSERT INTO certificates (serial, issuer_ca_id, profile, subject, sans, not_before, not_after,
                        fingerprint, der, replaces_id, requester, issued_at, ski, requester_key, device_id)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """, [c.serial, c.issuerID, c.profile, c.subject, c.sans, c.notBefore, c.notAfter, c.fingerprint,
                          c.der, replacing?.id, c.requester, stamp, c.keyIdentifier, c.requesterKey, deviceID])
            } catch let e as SQLiteError where e.isUniqueViolation && e.message.contains("certificates.serial") {
                // Only UNIQUE (issuer_ca_id, serial) is a collision worth a retry.
                throw SerialCollision()
            }
            let id = db.lastInsertRowID
            if let old = replacing, conditions.revokeReplaced {
                try db.execute("""
                    UPDATE certificates SET status = 'revoked', revoked_at = ?, revocation_reason = 'superseded'
                    WHERE id = ? AND status = 'valid'
                    """, [stamp, old.id])
                guard db.changes == 1 else { throw CAError.revokedClient(.superseded) }
            }
            // A replaceable enrollment: the device's certificates give way to the new one.
            for old in superseded {
                try db.execute("""
                    UPDATE certificates SET status = 'revoked', revoked_at = ?, revocation_reason = 'superseded'
                    WHERE id = ? AND status = 'valid'
                    """, [stamp, old])
            }
            if let approved = conditions.approvedRequest {
                try db.execute("""
                    UPDATE enrollment_requests SET status = 'issued', certificate_id = ? WHERE id = ? AND status = 'approved'
                    """, [id, approved])
                guard db.changes == 1 else { throw CAError.forbidden("request \(approved) is no longer approved") }
            }
            if var event = audit {
                event.serial = c.serial
                try Self.insertAudit(db, event, now: now)
            }
            guard let record = try Self.certificates(db, where: "x.id = ?", [id]).first else {
                throw CAError.internalFailure("recorded certificate vanished")
            }
            return record
        }
    }

    public func revoke(_ certificate: IssuedCertificate, reason: RevocationReason, audit: AuditEvent,
                       now: Date) throws -> [IssuedCertificate] {
        try write {
            let stamp = Timestamp.string(now)
            try db.execute("""
                UPDATE certificates SET status = 'revoked', revoked_at = ?, revocation_reason = ?
                WHERE id = ? AND status = 'valid'
                """, [stamp, reason.rawValue, certificate.id])
            let revokedIt = db.changes == 1
            // Its successors were obtained by authenticating with it (RFC 7030 §4.2.2): they go
            // with it, so a revocation racing a re-enrollment never leaves the new one valid.
            let successors = try db.query("""
                WITH RECURSIVE line(id) AS (
                    SELECT id FROM certificates WHERE replaces_id = ?
                    UNION SELECT c.id FROM certificates c JOIN line ON c.replaces_id = line.id
                )
                SELECT id FROM line
                """, [certificate.id]).compactMap { $0.int("id") }
            var changed: [Int64] = revokedIt ? [certificate.id] : []
            for id in successors {
                try db.execute("""
                    UPDATE certificates SET status = 'revoked', revoked_at = ?, revocation_reason = ?
                    WHERE id = ? AND status = 'valid'
                    """, [stamp, reason.rawValue, id])
                if db.changes == 1 { changed.append(id) }
            }
            guard !changed.isEmpty else { throw CAError.badRequest("certificate \(certificate.serial) is already revoked") }
            var event = audit
            if changed.count > 1 { event.reason += " (with \(changed.count - (revokedIt ? 1 : 0)) successor(s))" }
            try recordAudit(event, now: now)
            return try changed.map { id in
                guard let record = try certificates(where: "x.id = ?", [id]).first else {
                    throw CAError.internalFailure("revoked certificate vanished")
                }
                return record
            }
        }
    }

    /// The registry's rules for `claim` in the recording transaction: returns the device
    /// to link the certificate to (recording it under `jit`) and the certificates that a
    /// replaceable enrollment supersedes.
    static func claim(_ claim: DeviceClaim, profile: String?, _ db: Database, now: Date) throws -> (Int64?, [Int64]) {
        let deviceID: Int64
        if let device = try devices(db, where: "kind = ? AND name = ?", [claim.device.kind.rawValue, claim.name]).first {
            try CertificateAuthority.check(device, claim: claim, profile: profile)
            // A device registered elsewhere is not this registry-less profile's to link.
            guard claim.registration != .off || device.profile == profile else { return (nil, []) }
            deviceID = device.id
        } else {
            switch claim.registration {
            case .off: return (nil, [])
            case .preregistered: throw CAError.forbidden("device not registered")
            case .jit:
                try db.execute("INSERT INTO devices (kind, name, profile, source, created_at) VALUES (?, ?, ?, 'jit', ?)",
                               [claim.device.kind.rawValue, claim.name, profile, Timestamp.string(now)])
                deviceID = db.lastInsertRowID
            }
        }
        guard !claim.renewal, claim.registration != .off else { return (deviceID, []) }
        let held = try db.query("SELECT id FROM certificates WHERE device_id = ? AND status = 'valid' AND not_after >= ?",
                                [deviceID, Timestamp.string(now)]).compactMap { $0.int("id") }
        if !held.isEmpty, !claim.replaceable { throw CAError.forbidden("device already enrolled, use simplereenroll") }
        if !held.isEmpty, let replacer = claim.replacer {
            // Only the bootstrap certificate that first enrolled the device may replace its
            // certificates (renewals carry no bootstrap: their line's first one counts).
            let origins = try db.query("""
                WITH RECURSIVE line(id, replaces_id, requester_key) AS (
                    SELECT id, replaces_id, requester_key FROM certificates WHERE device_id = ? AND status = 'valid' AND not_after >= ?
                    UNION ALL
                    SELECT c.id, c.replaces_id, c.requester_key FROM certificates c JOIN line ON c.id = line.replaces_id
                )
                SELECT requester_key FROM line WHERE replaces_id IS NULL
                """, [deviceID, Timestamp.string(now)]).map { $0.string("requester_key") }
            guard origins.allSatisfy({ $0 == replacer }) else {
                throw CAError.forbidden("device already enrolled with another bootstrap certificate, use simplereenroll")
            }
        }
        return (deviceID, held)
    }
}
