import ESTCore
import Foundation

/// Everything the CLI and EST keep: CAs, profiles, issued certificates and the audit.
/// SQLite implements it today; another backend (PostgreSQL) implements this and nothing
/// else. The store keeps rows: it signs, decrypts and validates nothing, and reads no
/// clock (time comes in as `now`). Every method is atomic; a change and its audit event
/// commit together, and `recordIssued` commits before it returns.
public protocol CAStore: AnyObject {
    /// Changes, in the same transaction, whenever a CA, a profile or a profile's trust or
    /// cacerts set changes, by any process: what a responder may cache is keyed by it.
    func materialVersion() throws -> Int64

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
    /// Records `certificate` and `audit` (its serial filled in) in one transaction, committed
    /// before it returns. With `replacing`: refuses (CAError.forbidden) when that certificate
    /// is no longer valid at commit time ("certificate already renewed" when a successor
    /// replaced it), and with `revokeReplaced` revokes it as superseded in the same
    /// transaction, so it is replaced once. Throws `SerialCollision` when the serial is
    /// already used by that issuer. With `bootstrapLimit`, refuses when the profile already
    /// holds that many certificates from the same requester fingerprint.
    func recordIssued(_ certificate: NewCertificate, replacing: IssuedCertificate?, revokeReplaced: Bool,
                      bootstrapLimit: Int?, audit: AuditEvent?, now: Date) throws -> IssuedCertificate
    /// Revokes a certificate and every valid successor re-enrolled from it, directly or not;
    /// returns those it revoked, the certificate first when it was still valid.
    /// CAError.badRequest when there was nothing left to revoke.
    func revoke(_ certificate: IssuedCertificate, reason: RevocationReason, audit: AuditEvent,
                now: Date) throws -> [IssuedCertificate]

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
    /// Records an event that may wait briefly to join another transaction (the refusals of
    /// the request path); it is committed at the latest when the store is closed.
    func queueAudit(_ event: AuditEvent, now: Date) throws
    /// The latest `limit` records, oldest first.
    func auditRecords(limit: Int) throws -> [AuditRecord]
    /// Deletes the records older than `before`; returns how many. The prune itself is audited.
    func pruneAudit(before: Date, audit: AuditEvent, now: Date) throws -> Int
}

extension CAStore {
    public func queueAudit(_ event: AuditEvent, now: Date) throws { try recordAudit(event, now: now) }
}
