import ESTCA
import ESTCore
import ESTStoreRecords
import ESTPostgres
import Foundation

extension PostgresCAStore {
    static func certificates(_ db: PGConnection, where condition: String, _ params: [any PGBindable]) throws -> [IssuedCertificate] {
        try db.query("SELECT \(StoreRecords.certColumns) FROM \(StoreRecords.certFrom) WHERE \(condition)", params).map(StoreRecords.issued)
    }

    public func issuedCertificate(fingerprint: String) throws -> IssuedCertificate? {
        try read { try Self.certificates(db, where: "x.fingerprint = $1", [fingerprint]).first }
    }

    public func issuedCertificates(serial: String) throws -> [IssuedCertificate] {
        try read { try Self.certificates(db, where: "x.serial = $1 ORDER BY x.id", [serial]) }
    }

    public func issuedCertificate(keyIdentifier: Data) throws -> IssuedCertificate? {
        try read { try Self.certificates(db, where: "x.ski = $1 ORDER BY x.id DESC LIMIT 1", [keyIdentifier.hexString]).first }
    }

    public func issuedCertificates(matching filter: CertificateFilter, now: Date) throws -> [IssuedCertificate] {
        var condition = "true"
        var params: [any PGBindable] = []
        func next(_ value: any PGBindable) -> String {
            params.append(value)
            return "$\(params.count)"
        }
        switch filter.profile {
        case .any: break
        case .defaultProfile: condition += " AND x.profile IS NULL"
        case .label(let label): condition += " AND x.profile = \(next(label))"
        }
        let nowString = Timestamp.string(now)
        switch filter.status {
        case nil: break
        case .valid?: condition += " AND x.status = 'valid' AND x.not_after >= \(next(nowString))"
        case .revoked?: condition += " AND x.status = 'revoked'"
        case .expired?: condition += " AND x.status = 'valid' AND x.not_after < \(next(nowString))"
        }
        if let device = filter.device {
            condition += " AND x.device_id = (SELECT id FROM devices WHERE kind = \(next(device.kind.rawValue)) AND name = \(next(device.name)))"
        }
        if let days = filter.expiringWithinDays {
            condition += " AND x.status = 'valid' AND x.not_after >= \(next(nowString))"
            condition += " AND x.not_after <= \(next(Timestamp.string(now.addingTimeInterval(.days(days)))))"
        }
        return try read { try Self.certificates(db, where: condition + " ORDER BY x.id", params) }
    }

    /// One READ COMMITTED transaction that locks what its checks read before it reads it:
    /// the replaced certificate (FOR NO KEY UPDATE when it is revoked here, FOR SHARE when it
    /// only links the new one), the device's row, and the bootstrap certificate's use count
    /// (an advisory lock on its key and profile). A concurrent writer of the same rows waits
    /// for this commit and then reads its outcome: two re-enrollments with one certificate
    /// under --revoke-on-reenroll give one certificate and one "already renewed".
    public func recordIssued(_ c: NewCertificate, conditions: IssuanceConditions, audit: AuditEvent?,
                             now: Date) throws -> IssuedCertificate {
        let stamp = Timestamp.string(now)
        do {
            return try write {
                if let limit = conditions.bootstrapLimit, let requester = c.requesterKey {
                    try lock("bootstrap-uses\u{1}\(requester)\u{1}\(c.profile ?? "")")
                    let used = try db.scalar("""
                        SELECT count(*) FROM certificates WHERE requester_key = $1 AND profile IS NOT DISTINCT FROM $2
                        """, [requester, c.profile])
                    if case .integer(let n) = used, n >= limit {
                        throw CAError.forbidden("bootstrap certificate already used \(n) times (this profile allows \(limit))")
                    }
                }
                let replacing = conditions.replacing
                if let old = replacing {
                    // Revoked since the request was authorised: by an operator, or replaced by a
                    // re-enrollment that committed first.
                    let lockMode = conditions.revokeReplaced ? "FOR NO KEY UPDATE" : "FOR SHARE"
                    let row = try db.query("SELECT status, revocation_reason FROM certificates WHERE id = $1 \(lockMode)",
                                           [old.id]).first
                    if row?.string("status") != CertificateStatus.valid.rawValue {
                        throw CAError.revokedClient(row?.string("revocation_reason").flatMap(RevocationReason.init(rawValue:)))
                    }
                }
                let (deviceID, superseded) = try conditions.device.map { try claim($0, profile: c.profile, now: now) } ?? (nil, [])
                let inserted: Int64
                do {
                    guard let id = try db.query("""
                        INSERT INTO certificates (serial, issuer_ca_id, profile, subject, sans, not_before, not_after,
                            fingerprint, der, replaces_id, requester, issued_at, ski, requester_key, device_id)
                        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)
                        RETURNING id
                        """, [c.serial, c.issuerID, c.profile, c.subject, c.sans, c.notBefore, c.notAfter, c.fingerprint,
                              c.der, replacing?.id, c.requester, stamp, c.keyIdentifier, c.requesterKey, deviceID]).first?.int("id") else {
                        throw CAError.internalFailure("certificate not recorded")
                    }
                    inserted = id
                } catch let e as PGError where e.isUniqueViolation && e.constraint == "certificates_serial_unique" {
                    // Only UNIQUE (issuer_ca_id, serial) is a collision worth a retry.
                    throw SerialCollision()
                }
                if let old = replacing, conditions.revokeReplaced {
                    let changed = try db.execute("""
                        UPDATE certificates SET status = 'revoked', revoked_at = $1, revocation_reason = 'superseded'
                        WHERE id = $2 AND status = 'valid'
                        """, [stamp, old.id])
                    guard changed == 1 else { throw CAError.revokedClient(.superseded) }
                }
                for old in superseded {
                    try db.execute("""
                        UPDATE certificates SET status = 'revoked', revoked_at = $1, revocation_reason = 'superseded'
                        WHERE id = $2 AND status = 'valid'
                        """, [stamp, old])
                }
                if let approved = conditions.approvedRequest {
                    let changed = try db.execute("""
                        UPDATE enrollment_requests SET status = 'issued', certificate_id = $1 WHERE id = $2 AND status = 'approved'
                        """, [inserted, approved])
                    guard changed == 1 else { throw CAError.forbidden("request \(approved) is no longer approved") }
                }
                if var event = audit {
                    event.serial = c.serial
                    try Self.insertAudit(db, event, now: now)
                }
                guard let record = try Self.certificates(db, where: "x.id = $1", [inserted]).first else {
                    throw CAError.internalFailure("recorded certificate vanished")
                }
                return record
            }
        }
    }

    public func revoke(_ certificate: IssuedCertificate, reason: RevocationReason, audit: AuditEvent,
                       now: Date) throws -> [IssuedCertificate] {
        try write {
            let stamp = Timestamp.string(now)
            let revokedIt = try db.execute("""
                UPDATE certificates SET status = 'revoked', revoked_at = $1, revocation_reason = $2
                WHERE id = $3 AND status = 'valid'
                """, [stamp, reason.rawValue, certificate.id]) == 1
            // Its successors were obtained by authenticating with it (RFC 7030 §4.2.2). Under
            // READ COMMITTED this statement sees every successor committed before it started;
            // a re-enrollment still running holds the certificate's row (FOR SHARE or FOR NO
            // KEY UPDATE) and so committed before the UPDATE above could take it.
            let successors = try db.query("""
                WITH RECURSIVE line(id) AS (
                    SELECT id FROM certificates WHERE replaces_id = $1
                    UNION SELECT c.id FROM certificates c JOIN line ON c.replaces_id = line.id
                )
                SELECT id FROM line ORDER BY id
                """, [certificate.id]).compactMap { $0.int("id") }
            var changed: [Int64] = revokedIt ? [certificate.id] : []
            for id in successors {
                if try db.execute("""
                    UPDATE certificates SET status = 'revoked', revoked_at = $1, revocation_reason = $2
                    WHERE id = $3 AND status = 'valid'
                    """, [stamp, reason.rawValue, id]) == 1 {
                    changed.append(id)
                }
            }
            guard !changed.isEmpty else { throw CAError.badRequest("certificate \(certificate.serial) is already revoked") }
            var event = audit
            if changed.count > 1 { event.reason += " (with \(changed.count - (revokedIt ? 1 : 0)) successor(s))" }
            try recordAudit(event, now: now)
            return try changed.map { id in
                guard let record = try Self.certificates(db, where: "x.id = $1", [id]).first else {
                    throw CAError.internalFailure("revoked certificate vanished")
                }
                return record
            }
        }
    }

    /// The registry's rules for `claim` in the recording transaction, with the device's row
    /// locked (FOR NO KEY UPDATE) so that concurrent first enrollments of one device take
    /// turns: returns the device to link the certificate to (recording it under `jit`) and
    /// the certificates that a replaceable enrollment supersedes.
    func claim(_ claim: DeviceClaim, profile: String?, now: Date) throws -> (Int64?, [Int64]) {
        var deviceID: Int64? = nil
        // Twice at most: a `jit` insert that loses to a concurrent one reads the winner's row.
        for _ in 0..<2 where deviceID == nil {
            if let device = try Self.devices(db, where: "kind = $1 AND name = $2 FOR NO KEY UPDATE",
                                            [claim.device.kind.rawValue, claim.name]).first {
                try CertificateAuthority.check(device, claim: claim, profile: profile)
                guard claim.registration != .off || device.profile == profile else { return (nil, []) }
                deviceID = device.id
            } else {
                switch claim.registration {
                case .off: return (nil, [])
                case .preregistered: throw CAError.forbidden("device not registered")
                case .jit:
                    // ON CONFLICT waits for a concurrent insert of the name, then does nothing.
                    deviceID = try db.query("""
                        INSERT INTO devices (kind, name, profile, source, created_at) VALUES ($1, $2, $3, 'jit', $4)
                        ON CONFLICT (kind, name) DO NOTHING RETURNING id
                        """, [claim.device.kind.rawValue, claim.name, profile, Timestamp.string(now)]).first?.int("id")
                }
            }
        }
        guard let deviceID else { throw CAError.internalFailure("device \(claim.name) neither found nor recorded") }
        guard !claim.renewal, claim.registration != .off else { return (deviceID, []) }
        let held = try db.query("SELECT id FROM certificates WHERE device_id = $1 AND status = 'valid' AND not_after >= $2",
                                [deviceID, Timestamp.string(now)]).compactMap { $0.int("id") }
        if !held.isEmpty, !claim.replaceable { throw CAError.forbidden("device already enrolled, use simplereenroll") }
        if !held.isEmpty, let replacer = claim.replacer {
            let origins = try db.query("""
                WITH RECURSIVE line(id, replaces_id, requester_key) AS (
                    SELECT id, replaces_id, requester_key FROM certificates
                    WHERE device_id = $1 AND status = 'valid' AND not_after >= $2
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
