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
    /// Re-encrypts stored keys (CAs', generations', OCSP signers'), all in one transaction
    /// with `audit`: every row must still hold its `oldPEM`, else nothing changes and
    /// StoreError.conflict says which one changed.
    func replaceKeys(_ changes: [KeyReencryption], audit: AuditEvent, now: Date) throws

    // MARK: CA generations (rollover: RFC 7030 §4.1.3, RFC 4210 §4.4)
    /// The earlier generations of CA `name` (nil: of every CA), oldest first.
    func caGenerations(ofCA name: String?) throws -> [CAGeneration]
    /// Makes `replacement` the CA's current certificate and key, keeping the current ones as
    /// a generation. CAError.badRequest (conflict) when the current certificate is no longer
    /// `replacement.replacing`, or for a rollover while another is in its overlap.
    func replaceCertificate(_ replacement: CAReplacement, audit: AuditEvent, now: Date) throws -> CARecord
    /// Ends the overlap of CA `name`'s rollover; CAError.badRequest when none is in progress.
    func finishOverlap(ofCA name: String, audit: AuditEvent, now: Date) throws

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
    /// before it returns, after checking `conditions` in that transaction (CAError.forbidden
    /// when one fails):
    /// - `replacing` must still be valid ("certificate already renewed" when a successor
    ///   replaced it); with `revokeReplaced` it is revoked as superseded, so it is replaced once.
    /// - `bootstrapLimit`: the profile holds fewer certificates from the same requester key.
    /// - `device`: the device is not disabled, belongs to this profile, is registered (or is
    ///   recorded now, `jit`), and holds no valid certificate unless this is a renewal (or
    ///   `replaceable`, when those are revoked as superseded). The certificate is linked to it.
    /// - `approvedRequest` is still approved; it becomes issued, linked to the certificate.
    /// Throws `SerialCollision` when the serial is already used by that issuer.
    func recordIssued(_ certificate: NewCertificate, conditions: IssuanceConditions, audit: AuditEvent?,
                      now: Date) throws -> IssuedCertificate
    /// Revokes a certificate and every valid successor re-enrolled from it, directly or not;
    /// returns those it revoked, the certificate first when it was still valid.
    /// CAError.badRequest when there was nothing left to revoke.
    func revoke(_ certificate: IssuedCertificate, reason: RevocationReason, audit: AuditEvent,
                now: Date) throws -> [IssuedCertificate]

    // MARK: Devices
    func device(_ key: DeviceKey) throws -> Device?
    /// The devices of every kind with this name (for an operator who names one without its kind).
    func devices(named name: String) throws -> [Device]
    /// Every device, or only a profile's, by name.
    func devices(profile: CertificateFilter.ProfileSelection) throws -> [Device]
    /// Registers `names`, of `kind`, under `profile` in one transaction; a device registered
    /// under another profile is left there and reported.
    func addDevices(_ names: [String], kind: DeviceIdentifier, profile: String?, audit: AuditEvent, now: Date) throws -> DeviceAddition
    /// Forgets a device (its certificates stay, unlinked). CAError.notFound when unknown.
    func removeDevice(_ key: DeviceKey, audit: AuditEvent, now: Date) throws
    /// CAError.notFound for an unknown device, .badRequest when it already has `status`.
    func setStatus(_ status: DeviceStatus, ofDevice key: DeviceKey, reason: String, audit: AuditEvent, now: Date) throws -> Device

    // MARK: Requests held for approval (RFC 7030 §4.2.3)
    /// The request for this CSR hash, profile and operation by these credentials that is
    /// not yet answered.
    func openEnrollmentRequest(csrHash: String, profile: String?, operation: String, requesterKey: String) throws -> EnrollmentRequest?
    /// Records a pending request, or returns the open one for the same CSR, profile,
    /// operation and credentials (two submissions at once record one); committed before it returns.
    /// CAError.tooManyRequests when the same requester key already has many pending.
    func submitEnrollmentRequest(_ request: NewEnrollmentRequest, now: Date) throws -> EnrollmentRequest
    func enrollmentRequest(id: Int64) throws -> EnrollmentRequest?
    /// The CSR (DER) of a request.
    func enrollmentRequestCSR(id: Int64) throws -> Data?
    /// Oldest first; nil: every status.
    func enrollmentRequests(status: EnrollmentRequest.Status?) throws -> [EnrollmentRequest]
    /// Approves or rejects a pending request. CAError.notFound for an unknown id,
    /// .badRequest when it is no longer pending.
    func decideEnrollmentRequest(id: Int64, approve: Bool, reason: String, audit: AuditEvent,
                                 now: Date) throws -> EnrollmentRequest

    // MARK: CRLs (RFC 5280 §5)
    /// The revoked certificates of CA `issuer` whose notAfter is not before `now`.
    func revokedCertificates(issuer: String, now: Date) throws -> [IssuedCertificate]
    /// The CRL of CA `issuer` with the highest number, nil before its first.
    func latestCRL(issuer: String) throws -> PublishedCRL?
    /// Records a CRL with its audit event; throws `CRLNumberTaken` when that CA already
    /// has a CRL of that number. Keeps the CA's latest few CRLs, not every one.
    func recordCRL(_ crl: PublishedCRL, audit: AuditEvent, now: Date) throws
    /// The latest CRL an earlier key of CA `issuer` signed (`CAKeyHistory.keyID`), nil before its first.
    func latestKeyCRL(issuer: String, keyID: String) throws -> PublishedCRL?
    /// Records the CRL an earlier key signed (RFC 4210 §4.4), numbered as the current key's
    /// CRL of the same run; keeps that key's latest few.
    func recordKeyCRL(_ crl: PublishedCRL, keyID: String, audit: AuditEvent, now: Date) throws

    // MARK: OCSP (RFC 6960)
    /// Every CA's OCSP signer (material: a change moves `materialVersion`).
    func ocspSigners() throws -> [OCSPSignerRecord]
    /// Sets, or replaces, the OCSP signer of CA `signer.ca`, with its audit event.
    /// StoreError.notFound for a CA not in the store.
    func saveOCSPSigner(_ signer: OCSPSignerRecord, audit: AuditEvent, now: Date) throws

    // MARK: Bootstrap denials
    func bootstrapDenials() throws -> [BootstrapDenial]
    /// The denials naming a certificate of this serial or fingerprint, by any issuer.
    func bootstrapDenials(serial: String, fingerprint: String) throws -> [BootstrapDenial]
    /// Revoked certificates of this serial and denials of this serial or fingerprint, by
    /// any issuer, in one read: what an enrollment checks on every request.
    func clientStanding(serial: String, fingerprint: String) throws -> ClientStanding
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
    /// The EST requests (not admin changes) recorded since `since`, tallied.
    func auditTallies(since: Date) throws -> [AuditTally]
    /// Deletes the records older than `before`; returns how many. The prune itself is audited.
    func pruneAudit(before: Date, audit: AuditEvent, now: Date) throws -> Int
}

extension CAStore {
    public func queueAudit(_ event: AuditEvent, now: Date) throws { try recordAudit(event, now: now) }
}
