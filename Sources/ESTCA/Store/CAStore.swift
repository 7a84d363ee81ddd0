import ESTCore
import Foundation

/// Everything the CLI and EST keep: CAs, profiles, issued certificates and the audit.
/// SQLite implements it today; another backend (PostgreSQL) implements this and nothing
/// else. The store keeps rows: it signs, decrypts and validates nothing, and reads no
/// clock (time comes in as `now`). Every method is atomic; a change and its audit event
/// commit together, and `recordIssued` commits before it returns.
public protocol CAStore: AnyObject {
    // MARK: CAs
    func ca(named name: String) throws -> CARecord?
    func allCAs() throws -> [CARecord]
    /// CAError.badRequest when the name or the certificate is already in the store.
    func insertCA(_ ca: NewCA, audit: AuditEvent, now: Date) throws -> CARecord
    func setStatus(_ status: CAStatus, ofCA name: String, audit: AuditEvent, now: Date) throws -> CARecord
    /// Replaces a CA's encrypted key (the same key under stronger protection).
    func replaceKey(ofCA name: String, encryptedKeyPEM: String, protection: String, audit: AuditEvent, now: Date) throws

    // MARK: Profiles
    func profile(label: String?) throws -> Profile?
    func allProfiles() throws -> [Profile]
    /// Creates, or with `replace` overwrites, a profile. CAError.notFound for a CA name not
    /// in the store (or, with `replace`, a missing profile); .badRequest for an existing
    /// one without `replace`.
    func saveProfile(_ profile: Profile, replace: Bool, audit: AuditEvent, now: Date) throws
    func deleteProfile(label: String?, audit: AuditEvent, now: Date) throws

    // MARK: Issued certificates
    func issuedCertificate(fingerprint: String) throws -> IssuedCertificate?
    func issuedCertificates(serial: String) throws -> [IssuedCertificate]
    func issuedCertificates(matching filter: CertificateFilter, now: Date) throws -> [IssuedCertificate]
    /// The newest issued certificate whose subjectKeyIdentifier is `keyIdentifier`.
    func issuedCertificate(keyIdentifier: Data) throws -> IssuedCertificate?
    /// Records `certificate` and, when `replacing` is given with `revokeReplaced`, revokes
    /// that one as superseded, in one transaction. Throws `SerialCollision` when the serial
    /// is already used by that issuer. With `bootstrapLimit`, refuses (CAError.forbidden)
    /// when the profile already holds that many certificates from the same requester
    /// fingerprint, counted in the same transaction.
    func recordIssued(_ certificate: NewCertificate, replacing: IssuedCertificate?, revokeReplaced: Bool,
                      bootstrapLimit: Int?, now: Date) throws -> IssuedCertificate
    /// Revokes a valid certificate; CAError.badRequest when it is already revoked.
    func revoke(_ certificate: IssuedCertificate, reason: RevocationReason, audit: AuditEvent,
                now: Date) throws -> IssuedCertificate

    // MARK: Bootstrap denials
    func bootstrapDenials() throws -> [BootstrapDenial]
    /// The denials naming a certificate of this serial or fingerprint, by any issuer.
    func bootstrapDenials(serial: String, fingerprint: String) throws -> [BootstrapDenial]
    /// CAError.badRequest when it is already denied, .notFound for an unknown issuer.
    func addBootstrapDenial(_ denial: BootstrapDenial, audit: AuditEvent, now: Date) throws
    /// CAError.notFound when no such denial exists.
    func removeBootstrapDenial(issuer: String, key: BootstrapDenial.Key, audit: AuditEvent, now: Date) throws

    // MARK: Audit
    func recordAudit(_ event: AuditEvent, now: Date) throws
    /// The latest `limit` records, oldest first.
    func auditRecords(limit: Int) throws -> [AuditRecord]
    /// Deletes the records older than `before`; returns how many. The prune itself is audited.
    func pruneAudit(before: Date, audit: AuditEvent, now: Date) throws -> Int
}
