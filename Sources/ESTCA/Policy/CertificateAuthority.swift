import ESTCore
import ESTOpenSSL
import Foundation

/// Issuance policy over any `CAStore`. The CLI's `cert issue` and the EST endpoints both
/// sign through `issue`, so they cannot disagree.
public final class CertificateAuthority {
    public let store: any CAStore
    let keyring: CAKeyring
    let now: () -> Date

    public init(store: any CAStore, keyring: CAKeyring, now: @escaping () -> Date = Date.init) {
        self.store = store
        self.keyring = keyring
        self.now = now
    }

    public func requireProfile(_ label: String?) throws -> Profile {
        guard let p = try store.profile(label: label) else {
            throw CAError.notFound(label.map { "unknown profile '\($0)'" } ?? "no default profile configured")
        }
        return p
    }

    func requireCA(_ name: String) throws -> CARecord {
        guard let ca = try store.ca(named: name) else { throw CAError.internalFailure("CA '\(name)' not found") }
        return ca
    }

    /// Signs `csr` under `profile` and records the certificate before returning it.
    public func issue(csr: CertificateSigningRequest, profile: Profile, requester: String?,
                      replacing: IssuedCertificate? = nil) throws -> (Certificate, IssuedCertificate) {
        try checkRequest(csr, profile: profile, usesItsKey: true)
        return try sign(subject: csr.subject, subjectAltNameDER: csr.subjectAltNameDER, publicKey: csr.publicKey,
                        profile: profile, requester: requester, replacing: replacing)
    }

    /// The checks every CSR passes, whether its key is certified (enroll) or it is only a
    /// template (serverkeygen, RFC 7030 §4.4.1).
    func checkRequest(_ csr: CertificateSigningRequest, profile: Profile, usesItsKey: Bool) throws {
        // RFC 7030 §4.2.1 / RFC 2986: the request proves possession of its key.
        guard csr.signatureIsValid else { throw CAError.badRequest("CSR signature does not verify") }
        if usesItsKey { try IssuancePolicy.checkKey(csr.publicKey.algorithm, allowed: profile.keyTypes) }
        if profile.enforceCsrAttrs { try CSRAttributes.enforce(profile.csrAttrs, on: csr, checkKey: usesItsKey) }
        guard !csr.subject.isEmpty || csr.subjectAltNameDER != nil else {
            throw CAError.badRequest("CSR has neither a subject nor a subjectAltName")
        }
    }

    func sign(subject: DistinguishedName, subjectAltNameDER: Data?, publicKey: PublicKey, profile: Profile,
              requester: String?, replacing: IssuedCertificate?) throws -> (Certificate, IssuedCertificate) {
        let issuer = try requireCA(profile.issuer)
        guard issuer.status == .active else { throw CAError.internalFailure("issuing CA '\(issuer.name)' is disabled") }
        let issuerKey = try keyring.signingKey(for: issuer)
        let at = now()
        let validity = try IssuancePolicy.validity(days: profile.validityDays, issuer: issuer.certificate, now: at)
        for _ in 0..<4 {
            let template = CertificateTemplate(
                subject: subject, publicKey: publicKey, serial: try CertificateTemplate.randomSerial(),
                notBefore: validity.notBefore, notAfter: validity.notAfter, isCA: false,
                keyUsage: IssuancePolicy.keyUsage(for: publicKey.algorithm), extendedKeyUsage: profile.eku,
                subjectAltNameDER: subjectAltNameDER)
            let cert: Certificate
            do { cert = try CertificateSigner.sign(template, issuer: issuer.certificate, issuerKey: issuerKey) }
            catch { throw CAError.internalFailure("signing failed: \(error)") }
            do {
                let record = try store.recordIssued(NewCertificate(cert, issuer: issuer, profile: profile.label,
                                                                   requester: requester),
                                                    replacing: replacing, revokeReplaced: profile.revokeOnReenroll, now: at)
                return (cert, record)
            } catch is SerialCollision {
                continue  // 2^-127 odds; a fresh serial is cheaper than a lock
            }
        }
        throw CAError.internalFailure("could not allocate a unique serial")
    }

    /// RFC 7030 §3.3.2: the TLS client certificate must chain, by our own verification and
    /// not only the web server's, to one of the profile's trust CAs, be inside its validity
    /// and not be revoked here.
    func authorizeFirstEnrollment(_ client: Certificate, profile: Profile) throws {
        guard !profile.trust.isEmpty else {
            throw CAError.forbidden("profile \(profile.displayName) trusts no CA for enrollment")
        }
        let cas = try store.allCAs()
        let anchors = cas.filter { profile.trust.contains($0.name) }.map(\.certificate)
        let intermediates = cas.flatMap { [$0.certificate] + $0.chain }
        if case .untrusted(let why) = ChainVerifier(anchors: anchors, intermediates: intermediates).verify(client, at: now()) {
            throw CAError.forbidden("client certificate not trusted for profile \(profile.displayName): \(why)")
        }
        if let record = try store.issuedCertificate(fingerprint: client.fingerprint.hexString), record.status == .revoked {
            throw CAError.forbidden("client certificate is revoked")
        }
    }

    /// A certificate this store holds (issued or CA) whose subjectKeyIdentifier is `ski`.
    func certificate(keyIdentifier ski: Data) throws -> Certificate? {
        if let record = try store.issuedCertificate(keyIdentifier: ski) { return try Certificate(der: record.der) }
        return try store.allCAs().map(\.certificate).first { $0.subjectKeyIdentifier == ski }
    }
}
