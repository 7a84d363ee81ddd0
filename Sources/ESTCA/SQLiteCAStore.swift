import ESTOpenSSL
import ESTSQLite
import Foundation

/// The CA store in one SQLite file. One instance per thread (one connection each);
/// several processes may open the same file.
public final class SQLiteCAStore: CAStore {
    let db: Database
    private let passphrase: String?
    /// Decrypted CA keys, keyed by the encrypted PEM so that a re-keyed CA is re-read.
    private var keyCache: [String: PrivateKey] = [:]

    /// Opens the store; with `create` the file and schema are made when missing.
    public init(path: String, create: Bool = false, passphrase: String? = nil) throws {
        if !create, !FileManager.default.fileExists(atPath: path) {
            throw CAError.notFound("no store at \(path) (run `estfcgi init --db \(path)` first)")
        }
        do {
            db = try Database(path: path, create: create)
            let migrator = Schema.migrator
            if try create || migrator.currentVersion(of: db) < migrator.latestVersion {
                try migrator.migrate(db)
            }
        } catch let e as SQLiteError {
            throw CAError.internalFailure(e.message)
        }
        self.passphrase = passphrase
    }

    public var schemaVersion: Int { (try? Schema.migrator.currentVersion(of: db)) ?? 0 }

    /// Runs `body` in one transaction, mapping SQLite failures to CAError.
    func write<T>(_ body: () throws -> T) throws -> T {
        do { return try db.transaction(body) }
        catch let e as SQLiteError { throw CAError.internalFailure(e.description) }
    }

    /// Runs one autocommit statement (or a read), mapping SQLite failures to CAError.
    func single<T>(_ body: () throws -> T) throws -> T {
        do { return try body() }
        catch let e as SQLiteError { throw CAError.internalFailure(e.description) }
    }

    // MARK: - CAs

    static let caColumns = "id, name, certificate, chain_pem, encrypted_key, status, created_at"

    func caRecord(_ r: Row) -> CARecord {
        CARecord(id: r.int("id") ?? 0, name: r.string("name") ?? "", certificateDER: r.data("certificate") ?? Data(),
                 chainPEM: r.string("chain_pem") ?? "", encryptedKeyPEM: r.string("encrypted_key"),
                 status: r.string("status") ?? "", createdAt: r.string("created_at") ?? "")
    }

    public func ca(named name: String) throws -> CARecord? {
        try single { try db.query("SELECT \(Self.caColumns) FROM cas WHERE name = ?", [name]).first.map(caRecord) }
    }

    public func allCAs() throws -> [CARecord] {
        try single { try db.query("SELECT \(Self.caColumns) FROM cas ORDER BY id").map(caRecord) }
    }

    public func signingKey(for ca: CARecord) throws -> PrivateKey {
        guard let pem = ca.encryptedKeyPEM else {
            throw CAError.internalFailure("CA '\(ca.name)' has no private key (trust anchor only)")
        }
        if let key = keyCache[pem] { return key }
        guard let passphrase else {
            throw CAError.internalFailure("CA key passphrase needed: use --key-passphrase-file or \(KeyPassphrase.environmentVariable)")
        }
        let key: PrivateKey
        do { key = try PrivateKey(pem: pem, passphrase: passphrase) }
        catch { throw CAError.internalFailure("cannot decrypt the key of CA '\(ca.name)': wrong passphrase?") }
        keyCache[pem] = key
        return key
    }

    func requirePassphrase() throws -> String {
        guard let passphrase else {
            throw CAError.internalFailure("CA key passphrase needed: use --key-passphrase-file or \(KeyPassphrase.environmentVariable)")
        }
        return passphrase
    }

    /// Inserts a CA; the key (if any) is stored encrypted under the store passphrase.
    func insertCA(name: String, certificate: Certificate, chain: [Certificate], key: PrivateKey?) throws -> CARecord {
        guard !name.isEmpty, name.count <= 64, !name.contains(",") else {
            throw CAError.badRequest("CA name must be 1-64 characters without commas")
        }
        let encrypted = try key.map { try $0.encryptedPKCS8PEM(passphrase: try requirePassphrase()) }
        return try write {
            if try ca(named: name) != nil { throw CAError.badRequest("a CA named '\(name)' already exists") }
            let fingerprint = certificate.fingerprint.hexString
            if let other = try db.query("SELECT name FROM cas WHERE fingerprint = ?", [fingerprint]).first {
                throw CAError.badRequest("this certificate is already in the store as CA '\(other.string("name") ?? "")'")
            }
            try db.execute("""
                INSERT INTO cas (name, subject, certificate, chain_pem, encrypted_key, not_after, fingerprint, created_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                """, [name, certificate.subject.string, certificate.der, chain.map(\.pem).joined(), encrypted,
                      Timestamp.string(certificate.notAfter), fingerprint, Timestamp.string(Date())])
            try recordAudit(AuditEvent(operation: "ca-create", profile: nil, client: "admin", status: nil,
                                       outcome: "ok", reason: "CA '\(name)' \(certificate.subject)"))
            return try ca(named: name)!
        }
    }

    // MARK: - Profiles

    static let profileColumns = """
        p.label, c.name AS issuer, p.trust, p.cacerts, p.validity_days, p.key_types, p.eku, p.reenroll_window_days,
        p.revoke_on_reenroll, p.serverkeygen, p.serverkeygen_encrypt, p.csrattrs, p.enforce_csrattrs
        """

    func profileRecord(_ r: Row) -> Profile {
        func list(_ name: String) -> [String] {
            (r.string(name) ?? "").split(separator: ",").map(String.init)
        }
        var p = Profile(label: r.string("label"), issuer: r.string("issuer") ?? "")
        p.trust = list("trust")
        p.cacerts = list("cacerts")
        p.validityDays = Int(r.int("validity_days") ?? 365)
        p.keyTypes = list("key_types")
        p.eku = list("eku")
        p.reenrollWindowDays = r.int("reenroll_window_days").map(Int.init)
        p.revokeOnReenroll = r.bool("revoke_on_reenroll")
        p.serverKeygen = r.string("serverkeygen")
        p.serverKeygenEncrypt = r.bool("serverkeygen_encrypt")
        p.csrAttrs = list("csrattrs")
        p.enforceCsrAttrs = r.bool("enforce_csrattrs")
        return p
    }

    public func profile(label: String?) throws -> Profile? {
        try single {
            try db.query("SELECT \(Self.profileColumns) FROM profiles p JOIN cas c ON c.id = p.issuer_ca_id WHERE p.label IS ?",
                         [label]).first.map(profileRecord)
        }
    }

    public func allProfiles() throws -> [Profile] {
        try single {
            try db.query("SELECT \(Self.profileColumns) FROM profiles p JOIN cas c ON c.id = p.issuer_ca_id ORDER BY p.label IS NOT NULL, p.label")
                .map(profileRecord)
        }
    }

    /// Creates (or, with `replace`, overwrites) a profile after checking every CA it names.
    public func saveProfile(_ p: Profile, replace: Bool) throws {
        if let label = p.label { try Profile.validate(label: label) }
        try write {
            let existing = try profile(label: p.label)
            if existing != nil, !replace { throw CAError.badRequest("profile \(p.displayName) already exists") }
            if existing == nil, replace { throw CAError.notFound("no profile \(p.displayName)") }
            guard let issuer = try ca(named: p.issuer) else { throw CAError.notFound("no CA named '\(p.issuer)'") }
            guard issuer.hasKey else { throw CAError.badRequest("CA '\(p.issuer)' has no private key and cannot issue") }
            for name in p.trust + p.cacerts where try ca(named: name) == nil {
                throw CAError.notFound("no CA named '\(name)'")
            }
            try ProfileValidation.check(p)
            let now = Timestamp.string(Date())
            let values: [any SQLBindable] = [
                issuer.id, p.trust.joined(separator: ","), p.cacerts.joined(separator: ","), p.validityDays,
                p.keyTypes.joined(separator: ","), p.eku.joined(separator: ","), p.reenrollWindowDays, p.revokeOnReenroll,
                p.serverKeygen, p.serverKeygenEncrypt, p.csrAttrs.joined(separator: ","), p.enforceCsrAttrs, now,
            ]
            if existing == nil {
                try db.execute("""
                    INSERT INTO profiles (issuer_ca_id, trust, cacerts, validity_days, key_types, eku, reenroll_window_days,
                        revoke_on_reenroll, serverkeygen, serverkeygen_encrypt, csrattrs, enforce_csrattrs, updated_at,
                        created_at, label)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """, values + [now, p.label])
            } else {
                try db.execute("""
                    UPDATE profiles SET issuer_ca_id = ?, trust = ?, cacerts = ?, validity_days = ?, key_types = ?, eku = ?,
                        reenroll_window_days = ?, revoke_on_reenroll = ?, serverkeygen = ?, serverkeygen_encrypt = ?,
                        csrattrs = ?, enforce_csrattrs = ?, updated_at = ?
                    WHERE label IS ?
                    """, values + [p.label])
            }
            try recordAudit(AuditEvent(operation: existing == nil ? "profile-create" : "profile-update", profile: p.label,
                                       client: "admin", status: nil, outcome: "ok"))
        }
    }

    public func deleteProfile(label: String?) throws {
        try write {
            try db.execute("DELETE FROM profiles WHERE label IS ?", [label])
            guard db.changes == 1 else { throw CAError.notFound("no profile \(label ?? "(default)")") }
            try recordAudit(AuditEvent(operation: "profile-delete", profile: label, client: "admin", status: nil, outcome: "ok"))
        }
    }

    // MARK: - Issued certificates

    static let certColumns = """
        x.id, x.serial, c.name AS issuer, x.profile, x.subject, x.sans, x.not_before, x.not_after, x.fingerprint, x.der,
        x.status, x.revoked_at, x.revocation_reason, r.serial AS replaces_serial, x.requester, x.issued_at
        """
    static let certFrom = "certificates x JOIN cas c ON c.id = x.issuer_ca_id LEFT JOIN certificates r ON r.id = x.replaces_id"

    func issuedRecord(_ r: Row) -> IssuedCertificate {
        IssuedCertificate(id: r.int("id") ?? 0, serial: r.string("serial") ?? "", issuer: r.string("issuer") ?? "",
                          profile: r.string("profile"), subject: r.string("subject") ?? "", sans: r.string("sans") ?? "",
                          notBefore: r.string("not_before") ?? "", notAfter: r.string("not_after") ?? "",
                          fingerprint: r.string("fingerprint") ?? "", der: r.data("der") ?? Data(),
                          status: r.string("status") ?? "", revokedAt: r.string("revoked_at"),
                          revocationReason: r.string("revocation_reason"), replacesSerial: r.string("replaces_serial"),
                          requester: r.string("requester"), issuedAt: r.string("issued_at") ?? "")
    }

    public func issuedCertificate(fingerprint: String) throws -> IssuedCertificate? {
        try single {
            try db.query("SELECT \(Self.certColumns) FROM \(Self.certFrom) WHERE x.fingerprint = ?", [fingerprint])
                .first.map(issuedRecord)
        }
    }

    public func issuedCertificates(serial: String) throws -> [IssuedCertificate] {
        try single {
            try db.query("SELECT \(Self.certColumns) FROM \(Self.certFrom) WHERE x.serial = ? ORDER BY x.id", [serial])
                .map(issuedRecord)
        }
    }

    /// Filtered listing. `status` is valid, revoked or expired (valid = not revoked, not expired).
    public func listIssued(profile: String?, defaultProfile: Bool = false, status: String?, expiringWithinDays: Int?,
                           now: Date = Date()) throws -> [IssuedCertificate] {
        var sql = "SELECT \(Self.certColumns) FROM \(Self.certFrom) WHERE 1"
        var params: [any SQLBindable] = []
        if defaultProfile { sql += " AND x.profile IS NULL" }
        else if let profile { sql += " AND x.profile = ?"; params.append(profile) }
        let nowString = Timestamp.string(now)
        switch status {
        case nil: break
        case "valid": sql += " AND x.status = 'valid' AND x.not_after >= ?"; params.append(nowString)
        case "revoked": sql += " AND x.status = 'revoked'"
        case "expired": sql += " AND x.status = 'valid' AND x.not_after < ?"; params.append(nowString)
        default: throw CAError.badRequest("status must be valid, revoked or expired")
        }
        if let days = expiringWithinDays {
            sql += " AND x.status = 'valid' AND x.not_after >= ? AND x.not_after <= ?"
            params += [nowString, Timestamp.string(now.addingTimeInterval(Double(days) * 86400))]
        }
        sql += " ORDER BY x.id"
        return try single { try db.query(sql, params).map(issuedRecord) }
    }

    public func recordIssued(_ certificate: Certificate, issuer: CARecord, profile: String?, requester: String?,
                             replaces: IssuedCertificate?, revokeReplaced: Bool) throws -> IssuedCertificate {
        let now = Timestamp.string(Date())
        do {
            return try db.transaction {
                try db.execute("""
                    INSERT INTO certificates (serial, issuer_ca_id, profile, subject, sans, not_before, not_after,
                        fingerprint, der, replaces_id, requester, issued_at, ski)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """, [certificate.serialHex, issuer.id, profile, certificate.subject.string,
                          certificate.subjectAltNameText, Timestamp.string(certificate.notBefore),
                          Timestamp.string(certificate.notAfter), certificate.fingerprint.hexString, certificate.der,
                          replaces?.id, requester, now, certificate.subjectKeyIdentifier?.hexString])
                let id = db.lastInsertRowID
                if let old = replaces, revokeReplaced {
                    try db.execute("""
                        UPDATE certificates SET status = 'revoked', revoked_at = ?, revocation_reason = 'superseded'
                        WHERE id = ? AND status = 'valid'
                        """, [now, old.id])
                }
                return try db.query("SELECT \(Self.certColumns) FROM \(Self.certFrom) WHERE x.id = ?", [id])
                    .first.map(issuedRecord)!
            }
        } catch let e as SQLiteError where e.isConstraintViolation {
            throw SerialCollision()
        } catch let e as SQLiteError {
            throw CAError.internalFailure(e.description)
        }
    }

    /// Revokes by serial (hex in any form). Refuses ambiguity and double revocation.
    @discardableResult
    public func revoke(serial input: String, reason: RevocationReason) throws -> IssuedCertificate {
        guard let serial = Serial.normalize(input) else { throw CAError.badRequest("'\(input)' is not a hex serial") }
        return try write {
            let matches = try issuedCertificates(serial: serial)
            guard let cert = matches.first else { throw CAError.notFound("no certificate with serial \(serial)") }
            guard matches.count == 1 else { throw CAError.badRequest("serial \(serial) is ambiguous across CAs") }
            guard cert.status == "valid" else { throw CAError.badRequest("certificate \(serial) is already revoked") }
            try db.execute("UPDATE certificates SET status = 'revoked', revoked_at = ?, revocation_reason = ? WHERE id = ?",
                           [Timestamp.string(Date()), reason.rawValue, cert.id])
            try recordAudit(AuditEvent(operation: "revoke", profile: cert.profile, client: "admin", status: nil,
                                       outcome: "ok", reason: reason.rawValue, serial: serial))
            return try issuedCertificates(serial: serial).first!
        }
    }

    public func certificate(keyIdentifier ski: Data) throws -> Certificate? {
        let hex = ski.hexString
        if let row = try single({ try db.query("SELECT der FROM certificates WHERE ski = ? ORDER BY id DESC LIMIT 1", [hex]).first }),
           let der = row.data("der") {
            return try Certificate(der: der)
        }
        for ca in try allCAs() {
            let cert = try ca.certificate
            if cert.subjectKeyIdentifier == ski { return cert }
        }
        return nil
    }

    // MARK: - Audit

    public func recordAudit(_ e: AuditEvent) throws {
        try single {
            try db.execute("""
                INSERT INTO audit (time, operation, profile, client, status, outcome, reason, serial)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                """, [Timestamp.string(Date()), e.operation, e.profile, e.client, e.status, e.outcome, e.reason, e.serial])
        }
    }

    public func auditRows(limit: Int) throws -> [Row] {
        try single {
            try db.query("SELECT * FROM (SELECT id, time, operation, profile, client, status, outcome, reason, serial FROM audit ORDER BY id DESC LIMIT ?) ORDER BY id",
                         [limit])
        }
    }
}
