import ESTCA
import ESTCore
import ESTSQL
import Foundation

/// The rows of the shared schema as the model's records, for every engine: the column
/// lists their queries select and the mapping of a row to a record. A row the model
/// refuses (a value this version cannot read) is an internal failure naming it, never a
/// default.
public enum StoreRecords {
    public static func unreadable(_ what: String, _ detail: Any) -> StoreError {
        .failed("store holds an unreadable \(what): \(detail)")
    }

    // MARK: CAs

    public static let caColumns = "id, name, certificate, chain_pem, encrypted_key, key_protection, status, created_at, pkcs11_uri, pkcs11_module"

    public static func ca(_ r: SQLRow) throws -> CARecord {
        let name = try r.requiredString("name")
        do {
            guard let status = CAStatus(rawValue: try r.requiredString("status")) else {
                throw StoreError.failed("status \(r.describe("status"))")
            }
            return try CARecord(id: try r.requiredInt("id"), name: name, certificateDER: try r.requiredData("certificate"),
                                chainPEM: try r.requiredString("chain_pem"), encryptedKeyPEM: try r.optionalString("encrypted_key"),
                                keyProtection: try r.optionalString("key_protection"), status: status, createdAt: try r.requiredString("created_at"),
                                tokenKey: try r.optionalString("pkcs11_uri").map {
                                    try TokenKeyReference(stored: $0, module: try r.optionalString("pkcs11_module"))
                                })
        } catch {
            throw unreadable("CA '\(name)'", error)
        }
    }

    // MARK: Profiles

    public static let profileColumns = """
        p.id, p.label, c.name AS issuer, p.validity_days, p.key_types, p.eku, p.reenroll_window_days,
        p.revoke_on_reenroll, p.serverkeygen, p.serverkeygen_encrypt, p.csrattrs, p.enforce_csrattrs,
        p.san_kinds, p.max_sans, p.max_subject_bytes, p.bind_identity, p.cn_pattern, p.dns_pattern, p.bootstrap_uses,
        p.auth, p.registration, p.device_id, p.replaceable_enrollment, p.approval, p.approval_retry_after, p.crl_url, p.ocsp_url,
        (SELECT name FROM cas WHERE id = p.crl_ca_id) AS crl_ca,
        p.authorize_url, p.authorize_command, p.authorize_timeout_ms, p.authorize_ca, p.authorize_client_cert, p.authorize_client_key
        """
    public static let profileFrom = "profiles p JOIN cas c ON c.id = p.issuer_ca_id"

    /// A profile row with its trust and cacerts CA names (rows of their own, read by the store).
    public static func profile(_ r: SQLRow, trust: [String], cacerts: [String]) throws -> Profile {
        func list(_ name: String) throws -> [String] { try r.requiredString(name).split(separator: ",").map(String.init) }
        var p = Profile(label: try r.optionalString("label"), issuer: try r.requiredString("issuer"))
        do {
            p.trust = trust
            p.cacerts = cacerts
            p.validityDays = Int(try r.requiredInt("validity_days"))
            p.keyTypes = try Profile.keyTypes(parsing: list("key_types"))
            p.eku = try Profile.eku(parsing: list("eku"))
            p.reenrollWindowDays = try r.optionalInt("reenroll_window_days").map(Int.init)
            p.revokeOnReenroll = try r.requiredBool("revoke_on_reenroll")
            p.serverKeygen = try r.optionalString("serverkeygen").flatMap(Profile.serverKeygen(parsing:))
            p.serverKeygenEncrypt = try r.requiredBool("serverkeygen_encrypt")
            p.csrAttrs = try Profile.csrAttrs(parsing: list("csrattrs"))
            p.enforceCsrAttrs = try r.requiredBool("enforce_csrattrs")
            p.identity.sanKinds = try IdentityPolicy.sanKinds(parsing: list("san_kinds"))
            p.identity.maxSANs = Int(try r.requiredInt("max_sans"))
            p.identity.maxSubjectBytes = Int(try r.requiredInt("max_subject_bytes"))
            guard let binding = IdentityBinding(rawValue: try r.requiredString("bind_identity")) else {
                throw StoreError.failed("bind_identity \(r.describe("bind_identity"))")
            }
            p.identity.binding = binding
            p.identity.cnPattern = try r.optionalString("cn_pattern")
            p.identity.dnsPattern = try r.optionalString("dns_pattern")
            p.identity.bootstrapUses = try r.optionalInt("bootstrap_uses").map(Int.init)
            p.auth = try Profile.auth(parsing: try r.requiredString("auth"))
            p.registration = try Profile.registration(parsing: try r.requiredString("registration"))
            p.deviceID = try Profile.deviceID(parsing: try r.requiredString("device_id"))
            p.replaceableEnrollment = try r.requiredBool("replaceable_enrollment")
            p.approval = try Profile.approval(parsing: try r.requiredString("approval"))
            p.approvalRetryAfter = Int(try r.requiredInt("approval_retry_after"))
            p.crlURL = try r.optionalString("crl_url")
            p.crlCA = try r.optionalString("crl_ca")
            p.ocspURL = try r.optionalString("ocsp_url")
            p.authorize = try authorizationHook(r)
        } catch {
            throw unreadable("profile \(p.displayName)", error)
        }
        return p
    }

    /// The profile's authorization hook columns (migration 13), nil when it has none.
    static func authorizationHook(_ r: SQLRow) throws -> AuthorizationHook? {
        let target: AuthorizationHook.Target
        if let url = try r.optionalString("authorize_url") {
            target = .url(url)
        } else if let command = try r.optionalString("authorize_command") {
            target = .command(command)
        } else {
            return nil
        }
        var hook = AuthorizationHook(target: target)
        hook.timeoutMilliseconds = Int(try r.requiredInt("authorize_timeout_ms"))
        hook.caFile = try r.optionalString("authorize_ca")
        hook.clientCertificateFile = try r.optionalString("authorize_client_cert")
        hook.clientKeyFile = try r.optionalString("authorize_client_key")
        try hook.validate()
        return hook
    }

    // MARK: Issued certificates

    public static let certColumns = """
        x.id, x.serial, c.name AS issuer, x.profile, x.subject, x.sans, x.not_before, x.not_after, x.fingerprint, x.der,
        x.status, x.revoked_at, x.revocation_reason, r.serial AS replaces_serial, x.requester, x.issued_at
        """
    public static let certFrom = "certificates x JOIN cas c ON c.id = x.issuer_ca_id LEFT JOIN certificates r ON r.id = x.replaces_id"

    public static func issued(_ r: SQLRow) throws -> IssuedCertificate {
        let serial = try r.requiredString("serial")
        guard let status = CertificateStatus(rawValue: try r.requiredString("status")), status != .expired else {
            throw unreadable("certificate \(serial)", "status \(r.describe("status"))")
        }
        var reason: RevocationReason? = nil
        if let text = try r.optionalString("revocation_reason") {
            guard let parsed = RevocationReason(rawValue: text) else {
                throw unreadable("certificate \(serial)", "revocation reason '\(text)'")
            }
            reason = parsed
        }
        return IssuedCertificate(
            id: try r.requiredInt("id"), serial: serial, issuer: try r.requiredString("issuer"), profile: try r.optionalString("profile"),
            subject: try r.requiredString("subject"), sans: try r.requiredString("sans"), notBefore: try r.requiredString("not_before"),
            notAfter: try r.requiredString("not_after"), fingerprint: try r.requiredString("fingerprint"), der: try r.requiredData("der"),
            status: status, revokedAt: try r.optionalString("revoked_at"), revocationReason: reason,
            replacesSerial: try r.optionalString("replaces_serial"), requester: try r.optionalString("requester"), issuedAt: try r.requiredString("issued_at"))
    }

    // MARK: Bootstrap denials

    public static let denialColumns = "c.name AS issuer, d.serial, d.fingerprint, d.reason, d.created_at"
    public static let denialFrom = "bootstrap_denials d JOIN cas c ON c.id = d.issuer_ca_id"

    public static func denial(_ r: SQLRow) throws -> BootstrapDenial {
        let key: BootstrapDenial.Key
        if let serial = try r.optionalString("serial") { key = .serial(serial) } else { key = .fingerprint(try r.requiredString("fingerprint")) }
        return BootstrapDenial(issuer: try r.requiredString("issuer"), key: key, reason: try r.requiredString("reason"),
                               createdAt: try r.requiredString("created_at"))
    }

    /// A denial's key as its two columns, one of them NULL.
    public static func columns(_ key: BootstrapDenial.Key) -> (serial: String?, fingerprint: String?) {
        switch key {
        case .serial(let s): return (s, nil)
        case .fingerprint(let f): return (nil, f)
        }
    }

    // MARK: Devices

    public static let deviceColumns = "id, kind, name, profile, status, source, created_at, disabled_at, disabled_reason"

    public static func device(_ r: SQLRow) throws -> Device {
        let name = try r.requiredString("name")
        guard let status = DeviceStatus(rawValue: try r.requiredString("status")),
              let source = Device.Source(rawValue: try r.requiredString("source")),
              let kind = DeviceIdentifier(rawValue: try r.requiredString("kind")) else {
            throw unreadable("device \(name)", "kind \(r.describe("kind")), status \(r.describe("status")), source \(r.describe("source"))")
        }
        return Device(id: try r.requiredInt("id"), kind: kind, name: name, profile: try r.optionalString("profile"), status: status, source: source,
                      createdAt: try r.requiredString("created_at"), disabledReason: try r.optionalString("disabled_reason"),
                      disabledAt: try r.optionalString("disabled_at"))
    }

    // MARK: Requests held for approval

    public static let requestColumns = """
        q.id, q.csr_hash, q.profile, q.operation, q.device, q.subject, q.key_type, q.requester, q.requester_key, q.status,
        q.reason, q.created_at, q.decided_at, x.serial
        """
    public static let requestFrom = "enrollment_requests q LEFT JOIN certificates x ON x.id = q.certificate_id"

    public static func request(_ r: SQLRow) throws -> EnrollmentRequest {
        let id = try r.requiredInt("id")
        guard let status = EnrollmentRequest.Status(rawValue: try r.requiredString("status")) else {
            throw unreadable("request \(id)", "status \(r.describe("status"))")
        }
        return EnrollmentRequest(
            id: id, csrHash: try r.requiredString("csr_hash"), profile: try r.optionalString("profile"),
            operation: try r.requiredString("operation"), device: try r.optionalString("device"), subject: try r.requiredString("subject"),
            keyType: try r.requiredString("key_type"), requester: try r.optionalString("requester"),
            requesterKey: try r.requiredString("requester_key"), status: status, reason: try r.requiredString("reason"),
            createdAt: try r.requiredString("created_at"), decidedAt: try r.optionalString("decided_at"), serial: try r.optionalString("serial"))
    }

    // MARK: Audit

    public static func auditRecord(_ r: SQLRow) throws -> AuditRecord {
        guard let outcome = AuditOutcome(rawValue: try r.requiredString("outcome")) else {
            throw unreadable("audit row \(r.describe("id"))", "outcome \(r.describe("outcome"))")
        }
        let event = AuditEvent(operation: try r.requiredString("operation"), profile: try r.optionalString("profile"),
                               client: try r.optionalString("client"), status: try r.optionalInt("status").map(Int.init),
                               outcome: outcome, reason: try r.requiredString("reason"), serial: try r.optionalString("serial"))
        return AuditRecord(id: try r.requiredInt("id"), time: try r.requiredString("time"), event: event)
    }

    /// A row of (operation, profile, status, outcome, why, n).
    public static func tally(_ r: SQLRow) throws -> AuditTally {
        guard let outcome = AuditOutcome(rawValue: try r.requiredString("outcome")) else {
            throw unreadable("audit outcome", r.describe("outcome"))
        }
        return AuditTally(operation: try r.requiredString("operation"), profile: try r.optionalString("profile"),
                          status: Int(try r.requiredInt("status")), outcome: outcome, reason: try r.requiredString("why"),
                          count: Int(try r.requiredInt("n")))
    }
}
