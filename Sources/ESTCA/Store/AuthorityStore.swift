import ESTCore
import Foundation

/// A store as the authority uses it: every call forwarded, every StoreError answered as
/// the CAError the authority gives it (its HTTP status; `CAError(_:)`). `CertificateAuthority`
/// wraps the store it is given in one, so the store's errors reach EST clients and the CLI
/// only through the authority's mapping.
final class AuthorityStore: CAStore {
    let inner: any CAStore

    init(_ inner: any CAStore) { self.inner = inner }

    /// `store`, answering as the authority; a store already wrapped is not wrapped again.
    static func wrapping(_ store: any CAStore) -> any CAStore {
        store is AuthorityStore ? store : AuthorityStore(store)
    }

    private func mapped<T>(_ body: () throws -> T) throws -> T {
        do { return try body() } catch let e as StoreError { throw CAError(e) }
    }

    func materialVersion() throws -> Int64 { try mapped { try inner.materialVersion() } }
    func ca(named name: String) throws -> CARecord? { try mapped { try inner.ca(named: name) } }
    func allCAs() throws -> [CARecord] { try mapped { try inner.allCAs() } }
    func insertCA(_ ca: NewCA, audit: AuditEvent, now: Date) throws -> CARecord {
        try mapped { try inner.insertCA(ca, audit: audit, now: now) }
    }
    func setStatus(_ status: CAStatus, ofCA name: String, audit: AuditEvent, now: Date) throws -> CARecord {
        try mapped { try inner.setStatus(status, ofCA: name, audit: audit, now: now) }
    }
    func replaceKey(ofCA name: String, encryptedKeyPEM: String, protection: String, audit: AuditEvent, now: Date) throws {
        try mapped { try inner.replaceKey(ofCA: name, encryptedKeyPEM: encryptedKeyPEM, protection: protection, audit: audit, now: now) }
    }
    func replaceKeys(_ changes: [KeyReencryption], audit: AuditEvent, now: Date) throws {
        try mapped { try inner.replaceKeys(changes, audit: audit, now: now) }
    }
    func caGenerations(ofCA name: String?) throws -> [CAGeneration] { try mapped { try inner.caGenerations(ofCA: name) } }
    func replaceCertificate(_ replacement: CAReplacement, audit: AuditEvent, now: Date) throws -> CARecord {
        try mapped { try inner.replaceCertificate(replacement, audit: audit, now: now) }
    }
    func finishOverlap(ofCA name: String, audit: AuditEvent, now: Date) throws {
        try mapped { try inner.finishOverlap(ofCA: name, audit: audit, now: now) }
    }
    func profile(label: String?) throws -> Profile? { try mapped { try inner.profile(label: label) } }
    func allProfiles() throws -> [Profile] { try mapped { try inner.allProfiles() } }
    func saveProfile(_ profile: Profile, replace: Bool, audit: AuditEvent, now: Date) throws {
        try mapped { try inner.saveProfile(profile, replace: replace, audit: audit, now: now) }
    }
    func deleteProfile(label: String?, audit: AuditEvent, now: Date) throws {
        try mapped { try inner.deleteProfile(label: label, audit: audit, now: now) }
    }
    func issuedCertificate(fingerprint: String) throws -> IssuedCertificate? {
        try mapped { try inner.issuedCertificate(fingerprint: fingerprint) }
    }
    func issuedCertificates(serial: String) throws -> [IssuedCertificate] { try mapped { try inner.issuedCertificates(serial: serial) } }
    func issuedCertificates(matching filter: CertificateFilter, now: Date) throws -> [IssuedCertificate] {
        try mapped { try inner.issuedCertificates(matching: filter, now: now) }
    }
    func issuedCertificate(keyIdentifier: Data) throws -> IssuedCertificate? {
        try mapped { try inner.issuedCertificate(keyIdentifier: keyIdentifier) }
    }
    func recordIssued(_ certificate: NewCertificate, conditions: IssuanceConditions, audit: AuditEvent?,
                      now: Date) throws -> IssuedCertificate {
        try mapped { try inner.recordIssued(certificate, conditions: conditions, audit: audit, now: now) }
    }
    func revoke(_ certificate: IssuedCertificate, reason: RevocationReason, audit: AuditEvent, now: Date) throws -> [IssuedCertificate] {
        try mapped { try inner.revoke(certificate, reason: reason, audit: audit, now: now) }
    }
    func device(_ key: DeviceKey) throws -> Device? { try mapped { try inner.device(key) } }
    func devices(named name: String) throws -> [Device] { try mapped { try inner.devices(named: name) } }
    func devices(profile: CertificateFilter.ProfileSelection) throws -> [Device] { try mapped { try inner.devices(profile: profile) } }
    func addDevices(_ names: [String], kind: DeviceIdentifier, profile: String?, audit: AuditEvent, now: Date) throws -> DeviceAddition {
        try mapped { try inner.addDevices(names, kind: kind, profile: profile, audit: audit, now: now) }
    }
    func removeDevice(_ key: DeviceKey, audit: AuditEvent, now: Date) throws {
        try mapped { try inner.removeDevice(key, audit: audit, now: now) }
    }
    func setStatus(_ status: DeviceStatus, ofDevice key: DeviceKey, reason: String, audit: AuditEvent, now: Date) throws -> Device {
        try mapped { try inner.setStatus(status, ofDevice: key, reason: reason, audit: audit, now: now) }
    }
    func openEnrollmentRequest(csrHash: String, profile: String?, operation: String, requesterKey: String) throws -> EnrollmentRequest? {
        try mapped { try inner.openEnrollmentRequest(csrHash: csrHash, profile: profile, operation: operation, requesterKey: requesterKey) }
    }
    func submitEnrollmentRequest(_ request: NewEnrollmentRequest, now: Date) throws -> EnrollmentRequest {
        try mapped { try inner.submitEnrollmentRequest(request, now: now) }
    }
    func enrollmentRequest(id: Int64) throws -> EnrollmentRequest? { try mapped { try inner.enrollmentRequest(id: id) } }
    func enrollmentRequestCSR(id: Int64) throws -> Data? { try mapped { try inner.enrollmentRequestCSR(id: id) } }
    func enrollmentRequests(status: EnrollmentRequest.Status?) throws -> [EnrollmentRequest] {
        try mapped { try inner.enrollmentRequests(status: status) }
    }
    func decideEnrollmentRequest(id: Int64, approve: Bool, reason: String, audit: AuditEvent, now: Date) throws -> EnrollmentRequest {
        try mapped { try inner.decideEnrollmentRequest(id: id, approve: approve, reason: reason, audit: audit, now: now) }
    }
    func revokedCertificates(issuer: String, now: Date) throws -> [IssuedCertificate] {
        try mapped { try inner.revokedCertificates(issuer: issuer, now: now) }
    }
    func latestCRL(issuer: String) throws -> PublishedCRL? { try mapped { try inner.latestCRL(issuer: issuer) } }
    func recordCRL(_ crl: PublishedCRL, audit: AuditEvent, now: Date) throws { try mapped { try inner.recordCRL(crl, audit: audit, now: now) } }
    func latestKeyCRL(issuer: String, keyID: String) throws -> PublishedCRL? {
        try mapped { try inner.latestKeyCRL(issuer: issuer, keyID: keyID) }
    }
    func recordKeyCRL(_ crl: PublishedCRL, keyID: String, audit: AuditEvent, now: Date) throws {
        try mapped { try inner.recordKeyCRL(crl, keyID: keyID, audit: audit, now: now) }
    }
    func ocspSigners() throws -> [OCSPSignerRecord] { try mapped { try inner.ocspSigners() } }
    func saveOCSPSigner(_ signer: OCSPSignerRecord, audit: AuditEvent, now: Date) throws {
        try mapped { try inner.saveOCSPSigner(signer, audit: audit, now: now) }
    }
    func bootstrapDenials() throws -> [BootstrapDenial] { try mapped { try inner.bootstrapDenials() } }
    func bootstrapDenials(serial: String, fingerprint: String) throws -> [BootstrapDenial] {
        try mapped { try inner.bootstrapDenials(serial: serial, fingerprint: fingerprint) }
    }
    func clientStanding(serial: String, fingerprint: String) throws -> ClientStanding {
        try mapped { try inner.clientStanding(serial: serial, fingerprint: fingerprint) }
    }
    func addBootstrapDenial(_ denial: BootstrapDenial, audit: AuditEvent, now: Date) throws {
        try mapped { try inner.addBootstrapDenial(denial, audit: audit, now: now) }
    }
    func removeBootstrapDenial(issuer: String, key: BootstrapDenial.Key, audit: AuditEvent, now: Date) throws {
        try mapped { try inner.removeBootstrapDenial(issuer: issuer, key: key, audit: audit, now: now) }
    }
    func recordAudit(_ event: AuditEvent, now: Date) throws { try mapped { try inner.recordAudit(event, now: now) } }
    func queueAudit(_ event: AuditEvent, now: Date) throws { try mapped { try inner.queueAudit(event, now: now) } }
    func auditRecords(limit: Int) throws -> [AuditRecord] { try mapped { try inner.auditRecords(limit: limit) } }
    func auditTallies(since: Date) throws -> [AuditTally] { try mapped { try inner.auditTallies(since: since) } }
    func pruneAudit(before: Date, audit: AuditEvent, now: Date) throws -> Int {
        try mapped { try inner.pruneAudit(before: before, audit: audit, now: now) }
    }
}
