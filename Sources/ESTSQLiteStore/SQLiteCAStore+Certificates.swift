import ESTCore
import ESTCA
import ESTSQLite
import Foundation

extension SQLiteCAStore {
    static let certColumns = """
        x.id, x.serial, c.name AS issuer, x.profile, x.subject, x.sans, x.not_before, x.not_after, x.fingerprint, x.der,
        x.status, x.revoked_at, x.revocation_reason, r.serial AS replaces_serial, x.requester, x.issued_at
        """
    static let certFrom = "certificates x JOIN cas c ON c.id = x.issuer_ca_id LEFT JOIN certificates r ON r.id = x.replaces_id"

    func issuedRecord(_ r: Row) throws -> IssuedCertificate {
        let serial = try r.requiredString("serial")
        guard let status = CertificateStatus(rawValue: try r.requiredString("status")), status != .expired else {
            throw Self.unreadable("certificate \(serial)", "status \(r["status"])")
        }
        var reason: RevocationReason? = nil
        if let text = r.string("revocation_reason") {
            guard let parsed = RevocationReason(rawValue: text) else {
                throw Self.unreadable("certificate \(serial)", "revocation reason '\(text)'")
            }
            reason = parsed
        }
        return IssuedCertificate(
            id: try r.requiredInt("id"), serial: serial, issuer: try r.requiredString("issuer"), profile: r.string("profile"),
            subject: try r.requiredString("subject"), sans: try r.requiredString("sans"), notBefore: try r.requiredString("not_before"),
            notAfter: try r.requiredString("not_after"), fingerprint: try r.requiredString("fingerprint"), der: try r.requiredData("der"),
            status: status, revokedAt: r.string("revoked_at"), revocationReason: reason,
            replacesSerial: r.string("replaces_serial"), requester: r.string("requester"), issuedAt: try r.requiredString("issued_at"))
    }

    private func certificates(where condition: String, _ params: [any SQLBindable]) throws -> [IssuedCertificate] {
        try db.query("SELECT \(Self.certColumns) FROM \(Self.certFrom) WHERE \(condition)", params).map(issuedRecord)
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
        if let days = filter.expiringWithinDays {
            condition += " AND x.status = 'valid' AND x.not_after >= ? AND x.not_after <= ?"
            params += [nowString, Timestamp.string(now.addingTimeInterval(.days(days)))]
        }
        return try read { try certificates(where: condition + " ORDER BY x.id", params) }
    }

    public func recordIssued(_ c: NewCertificate, replacing: IssuedCertificate?, revokeReplaced: Bool,
                             bootstrapLimit: Int?, now: Date) throws -> IssuedCertificate {
        let stamp = Timestamp.string(now)
        do {
            return try db.transaction {
                if let limit = bootstrapLimit, let requester = c.requesterKey {
                    // Counted under the write lock, so two requests at once cannot both pass.
                    let used = try db.scalar("SELECT count(*) FROM certificates WHERE requester_key = ? AND profile IS ?",
                                             [requester, c.profile])
                    if case .integer(let n) = used, n >= limit {
                        throw CAError.forbidden("bootstrap certificate already used \(n) times (this profile allows \(limit))")
                    }
                }
                try db.execute("""
                    INSERT INTO certificates (serial, issuer_ca_id, profile, subject, sans, not_before, not_after,
                        fingerprint, der, replaces_id, requester, issued_at, ski, requester_key)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """, [c.serial, c.issuerID, c.profile, c.subject, c.sans, c.notBefore, c.notAfter, c.fingerprint,
                          c.der, replacing?.id, c.requester, stamp, c.keyIdentifier, c.requesterKey])
                let id = db.lastInsertRowID
                if let old = replacing, revokeReplaced {
                    try db.execute("""
                        UPDATE certificates SET status = 'revoked', revoked_at = ?, revocation_reason = 'superseded'
                        WHERE id = ? AND status = 'valid'
                        """, [stamp, old.id])
                }
                guard let record = try certificates(where: "x.id = ?", [id]).first else {
                    throw CAError.internalFailure("recorded certificate vanished")
                }
                return record
            }
        } catch let e as SQLiteError where e.isUniqueViolation && e.message.contains("certificates.serial") {
            // Only UNIQUE (issuer_ca_id, serial) is a collision worth a retry.
            throw SerialCollision()
        } catch let e as SQLiteError {
            throw Self.failure(e)
        }
    }

    public func revoke(_ certificate: IssuedCertificate, reason: RevocationReason, audit: AuditEvent,
                       now: Date) throws -> IssuedCertificate {
        try write {
            try db.execute("""
                UPDATE certificates SET status = 'revoked', revoked_at = ?, revocation_reason = ?
                WHERE id = ? AND status = 'valid'
                """, [Timestamp.string(now), reason.rawValue, certificate.id])
            guard db.changes == 1 else { throw CAError.badRequest("certificate \(certificate.serial) is already revoked") }
            try recordAudit(audit, now: now)
            guard let record = try certificates(where: "x.id = ?", [certificate.id]).first else {
                throw CAError.internalFailure("revoked certificate vanished")
            }
            return record
        }
    }
}
