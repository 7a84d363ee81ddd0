import ESTCore
import ESTOpenSSL
import Foundation

/// The operator's changes (the `estfcgi ca`, `profile` and `cert revoke` commands): the
/// PKI work and validation happen here, the rows and their audit events go to the store.
public struct CAAdministration {
    /// The store, keyring and clock are the authority's: what the CLI signs and what EST
    /// signs cannot disagree.
    let authority: CertificateAuthority
    public var store: any CAStore { authority.store }
    var keyring: CAKeyring { authority.keyring }
    func now() -> Date { authority.now() }

    public init(_ authority: CertificateAuthority) {
        self.authority = authority
    }

    // MARK: - CAs

    /// A self-signed root (no `issuer`), or an intermediate signed by CA `issuer` of this store.
    @discardableResult
    public func createCA(name: String, subject: String, keyType: KeyType, days: Int, issuer issuerName: String?,
                         pathLength: Int?) throws -> CARecord {
        guard days > 0, days <= 36500 else { throw CAError.badRequest("--days must be 1-36500") }
        if let p = pathLength, p < 0 { throw CAError.badRequest("--path-len must be >= 0") }
        try keyring.checkPassphrase()
        let dn: DistinguishedName
        do { dn = try DistinguishedName(parsing: subject) } catch { throw CAError.badRequest("bad --subject: \(error)") }
        guard !dn.isEmpty else { throw CAError.badRequest("--subject must not be empty") }
        try checkName(name)

        let key = try PrivateKey.generate(keyType)
        let (cert, chain) = try certifyCA(dn, key: key, days: days, issuerName: issuerName, pathLength: pathLength)
        return try insert(NewCA(name: name, certificate: cert, chain: chain, encryptedKeyPEM: try keyring.encrypt(key)))
    }

    /// A CA certificate for `key`: self-signed, or signed by the store CA `issuerName` (active,
    /// with a key, allowed to sign CAs by its pathLenConstraint, RFC 5280 §4.2.1.9); with the
    /// chain above it. Shared by software-key and token-key CAs.
    func certifyCA(_ dn: DistinguishedName, key: PrivateKey, days: Int, issuerName: String?,
                   pathLength: Int?) throws -> (Certificate, [Certificate]) {
        var signer: (certificate: Certificate, key: PrivateKey)? = nil
        var chain: [Certificate] = []
        if let issuerName {
            guard let parent = try store.ca(named: issuerName) else { throw CAError.notFound("no CA named '\(issuerName)'") }
            guard parent.status == .active else { throw CAError.badRequest("CA '\(issuerName)' is disabled") }
            guard parent.hasKey else { throw CAError.badRequest("CA '\(issuerName)' has no private key and cannot sign a CA") }
            if parent.certificate.pathLength == 0 {
                throw CAError.badRequest("CA '\(issuerName)' has pathlen 0 and cannot sign a CA")
            }
            signer = (parent.certificate, try keyring.signingKey(for: parent))
            chain = [parent.certificate] + parent.chain
        }
        let validity = try IssuancePolicy.validity(days: days, issuer: signer?.certificate, now: now())
        let template = CertificateTemplate(
            subject: dn, publicKey: try key.publicKey, serial: try CertificateTemplate.randomSerial(),
            notBefore: validity.notBefore, notAfter: validity.notAfter, isCA: true, pathLength: pathLength,
            keyUsage: IssuancePolicy.caKeyUsage)
        return (try CertificateSigner.sign(template, issuer: signer?.certificate, issuerKey: signer?.key ?? key), chain)
    }

    /// Imports an existing CA. Without `keyPEM` it is a trust anchor only. `chainPEM`
    /// defaults to the chain of the store CA that signed it, if any.
    @discardableResult
    public func importCA(name: String, certificatePEM: String, keyPEM: String?, keyPassphrase: String?,
                         chainPEM: String?) throws -> CARecord {
        try checkName(name)
        let cert: Certificate
        do { cert = try Certificate(pem: certificatePEM) } catch { throw CAError.badRequest("--cert: \(error)") }
        guard cert.isCA else { throw CAError.badRequest("--cert is not a CA certificate (basicConstraints CA:TRUE missing)") }
        var encrypted: String? = nil
        if let keyPEM {
            let key: PrivateKey
            do { key = try PrivateKey(pem: keyPEM, passphrase: keyPassphrase) } catch { throw CAError.badRequest("--key: \(error)") }
            guard key.matches(cert.publicKey) else { throw CAError.badRequest("--key does not match --cert") }
            encrypted = try keyring.encrypt(key)
        }
        return try insert(NewCA(name: name, certificate: cert, chain: try importedChain(of: cert, chainPEM: chainPEM),
                                encryptedKeyPEM: encrypted))
    }

    /// The certificates above an imported CA's: `--chain` (without the CA's own), else the
    /// store CA that signed it with that CA's chain, else none (a root, or an unknown issuer).
    func importedChain(of cert: Certificate, chainPEM: String?) throws -> [Certificate] {
        if let chainPEM {
            do { return try Certificate.all(fromPEM: chainPEM).filter { $0 != cert } } catch { throw CAError.badRequest("--chain: \(error)") }
        }
        guard !cert.isSelfIssued,
              let parent = try store.allCAs().first(where: { $0.certificate.subject == cert.issuer && cert.isSigned(by: $0.certificate) })
        else { return [] }
        return [parent.certificate] + parent.chain
    }

    private func checkName(_ name: String) throws {
        guard !name.isEmpty, name.count <= 64, !name.contains(",") else { throw CAError.badRequest("CA name must be 1-64 characters without commas") }
        // Profiles, denials and the store name CAs by these bytes (see ByteName).
        guard ByteName.isNFC(name) else { throw CAError.badRequest(ByteName.notNFC("CA name")) }
        if try store.ca(named: name) != nil { throw CAError.badRequest("a CA named '\(name)' already exists") }
    }

    private func insert(_ ca: NewCA) throws -> CARecord {
        try store.insertCA(ca, audit: .admin("ca-create", reason: "CA '\(ca.name)' \(ca.certificate.subject)"), now: now())
    }

    /// PEM of the CA certificate followed by its chain up to the root.
    public func exportPEM(name: String) throws -> String {
        guard let ca = try store.ca(named: name) else { throw CAError.notFound("no CA named '\(name)'") }
        return ([ca.certificate] + ca.chain).map(\.pem).joined()
    }

    /// Stops (`disabled`) or resumes (`active`) issuance by a CA.
    @discardableResult
    public func setStatus(_ status: CAStatus, ofCA name: String) throws -> CARecord {
        guard let ca = try store.ca(named: name) else { throw CAError.notFound("no CA named '\(name)'") }
        guard ca.status != status else { throw CAError.badRequest("CA '\(name)' is already \(status.rawValue)") }
        let operation = status == .active ? "ca-enable" : "ca-disable"
        return try store.setStatus(status, ofCA: name, audit: .admin(operation, reason: "CA '\(name)'"), now: now())
    }

    /// Re-encrypts every CA key stored under a protection older than both `KeyProtection`s
    /// (stores made before them, e.g. PBKDF2 at 2,048 iterations) as the keyring prefers;
    /// returns the CA names. Keys under either current protection are left as they are
    /// (`rekeyProtection` moves them between the two).
    @discardableResult
    public func upgradeKeyProtection() throws -> [String] {
        var upgraded: [String] = []
        for ca in try store.allCAs() where ca.encryptedKeyPEM != nil && KeyProtection(rawValue: ca.keyProtection ?? "") == nil {
            let pem = try keyring.encrypt(try keyring.signingKey(for: ca))
            let protection = KeyProtection.of(pem: pem).rawValue
            try store.replaceKey(ofCA: ca.name, encryptedKeyPEM: pem, protection: protection,
                                 audit: .admin("ca-key-protect", reason: "CA '\(ca.name)' key now \(protection)"),
                                 now: now())
            upgraded.append(ca.name)
        }
        return upgraded
    }

    // MARK: - Bootstrap certificates

    /// Denies one bootstrap certificate of store CA `issuer` (by serial or fingerprint)
    /// without distrusting the CA.
    public func denyBootstrap(_ key: BootstrapDenial.Key, issuer: String, reason: String) throws {
        guard try store.ca(named: issuer) != nil else { throw CAError.notFound("no CA named '\(issuer)'") }
        try store.addBootstrapDenial(BootstrapDenial(issuer: issuer, key: key, reason: reason),
                                     audit: .admin("bootstrap-deny", reason: "\(issuer) \(key)"), now: now())
    }

    public func allowBootstrap(_ key: BootstrapDenial.Key, issuer: String) throws {
        try store.removeBootstrapDenial(issuer: issuer, key: key, audit: .admin("bootstrap-allow", reason: "\(issuer) \(key)"),
                                        now: now())
    }

    // MARK: - Devices

    /// Registers devices under a profile (`estfcgi device add`), as the kind of name the
    /// profile's `--device-id` reads; see `DeviceAddition`.
    public func addDevices(_ names: [String], profile label: String?) throws -> DeviceAddition {
        for name in names { try Device.validate(name: name) }
        guard !names.isEmpty else { throw CAError.badRequest("no device names given") }
        guard let profile = try store.profile(label: label) else {
            throw CAError.notFound("no profile \(label ?? "(default)")")
        }
        return try store.addDevices(names, kind: profile.deviceID, profile: profile.label,
                                    audit: .admin("device-add", profile: profile.label), now: now())
    }

    /// Forgets a registered device: it may then be registered again, under any profile. Its
    /// certificates stay valid (revoke them with `cert revoke`).
    public func removeDevice(named name: String, kind: DeviceIdentifier? = nil) throws {
        let device = try store.device(named: name, kind: kind)
        try store.removeDevice(device.key, audit: .admin("device-remove", profile: device.profile, reason: name), now: now())
    }

    /// Disables (refused everywhere) or enables a registered device.
    @discardableResult
    public func setStatus(_ status: DeviceStatus, ofDevice name: String, kind: DeviceIdentifier? = nil,
                          reason: String) throws -> Device {
        let operation = status == .active ? "device-enable" : "device-disable"
        let device = try store.device(named: name, kind: kind)
        return try store.setStatus(status, ofDevice: device.key, reason: reason,
                                   audit: .admin(operation, profile: device.profile,
                                                 reason: name + (reason.isEmpty ? "" : ": \(reason)")), now: now())
    }

    // MARK: - Requests held for approval

    /// Approves or rejects a pending request (RFC 7030 §4.2.3); the device's next attempt
    /// gets the certificate, or 403 with `reason`.
    @discardableResult
    public func decide(request id: Int64, approve: Bool, reason: String) throws -> EnrollmentRequest {
        guard let request = try store.enrollmentRequest(id: id) else { throw CAError.notFound("no request \(id)") }
        let operation = approve ? "request-approve" : "request-reject"
        var detail = "request \(id) \(request.subject)"
        if !reason.isEmpty { detail += ": \(reason)" }
        return try store.decideEnrollmentRequest(id: id, approve: approve, reason: reason,
                                                 audit: .admin(operation, profile: request.profile, reason: detail), now: now())
    }

    // MARK: - Audit

    /// Deletes audit records older than `before` (retention); returns how many.
    public func pruneAudit(before: Date) throws -> Int {
        try store.pruneAudit(before: before, audit: .admin("audit-prune", reason: "before \(Timestamp.string(before))"), now: now())
    }

    // MARK: - Profiles

    /// Creates (or, with `replace`, overwrites) a profile after checking every CA it names.
    public func saveProfile(_ p: Profile, replace: Bool) throws {
        var p = p
        try p.validate()
        guard let issuer = try store.ca(named: p.issuer) else { throw CAError.notFound("no CA named '\(p.issuer)'") }
        guard issuer.hasKey else { throw CAError.badRequest("CA '\(p.issuer)' has no private key and cannot issue") }
        if p.crlURLNamesIssuer, !CRLIssuerPath.isURLSafe(p.issuer) {
            throw CAError.badRequest("--crl-url: CA name '\(p.issuer)' cannot stand for {ca} in a URL (it takes [A-Za-z0-9._~-])")
        }
        // The URL as certificates of this issuer will carry it (a long name may make it too long).
        if let url = p.crlDistributionPoint(issuer: p.issuer) {
            do { try DistributionPointURI.validate(url) } catch { throw CAError.badRequest("--crl-url: \(error)") }
        }
        let existing = try store.profile(label: p.label)
        if let existing { try Self.keepCRLURLsTrue(from: existing, to: &p) }
        let exists = existing != nil
        try store.saveProfile(p, replace: replace, audit: .admin(exists ? "profile-update" : "profile-create", profile: p.label),
                              now: now())
    }

    /// RFC 5280 §4.2.1.13: the CRL URL in a certificate must keep serving its issuer's CRL
    /// for as long as it is valid. When a profile's issuer changes, `/LABEL/crl` stays with
    /// the CA whose certificates may carry it (`crlCA`), and a URL that does not name the
    /// issuing CA (`{ca}`) must change with the issuer.
    static func keepCRLURLsTrue(from old: Profile, to p: inout Profile) throws {
        if p.issuer != old.issuer {
            if let url = old.crlURL, !old.crlURLNamesIssuer, p.crlURL == url {
                throw CAError.badRequest("""
                    profile \(p.displayName): certificates of CA '\(old.issuer)' carry --crl-url \(url), which cannot list \
                    certificates of CA '\(p.issuer)'; give a --crl-url naming the CA with {ca} \
                    (e.g. https://HOST/.well-known/est/crl/{ca}) in the same update
                    """)
            }
            p.crlCA = old.crlServedByLabel
        }
        if p.crlCA == p.issuer { p.crlCA = nil }
        if let pinned = p.crlCA, let url = p.crlURL, !p.crlURLNamesIssuer, url.hasSuffix(p.labelCRLPath) {
            throw CAError.badRequest("""
                profile \(p.displayName): --crl-url \(url) is served with the CRL of CA '\(pinned)', whose certificates \
                carry it, not of CA '\(p.issuer)'; name the CA with {ca} (e.g. https://HOST/.well-known/est/crl/{ca})
                """)
        }
    }

    public func deleteProfile(label: String?) throws {
        try store.deleteProfile(label: label, audit: .admin("profile-delete", profile: label), now: now())
    }

    // MARK: - Certificates

    /// Revokes by serial (hex in any form), with every valid successor re-enrolled from it;
    /// returns what it revoked. Refuses ambiguity and double revocation.
    @discardableResult
    public func revoke(serial input: String, reason: RevocationReason) throws -> [IssuedCertificate] {
        guard let serial = Serial.normalize(input) else { throw CAError.badRequest("'\(input)' is not a hex serial") }
        let matches = try store.issuedCertificates(serial: serial)
        guard let cert = matches.first else { throw CAError.notFound("no certificate with serial \(serial)") }
        guard matches.count == 1 else { throw CAError.badRequest("serial \(serial) is ambiguous across CAs") }
        return try store.revoke(cert, reason: reason,
                                audit: .admin("revoke", profile: cert.profile, reason: reason.rawValue, serial: serial), now: now())
    }
}
