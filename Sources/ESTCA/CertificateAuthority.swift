import ESTOpenSSL
import Foundation

/// Issuance policy and the EST operations over any `CAStore`. The CLI's `cert issue`
/// and the EST endpoints both sign through `issue`, so they cannot disagree.
public final class CertificateAuthority: EnrollmentAuthority {
    public let store: any CAStore
    private let now: () -> Date

    public init(store: any CAStore, now: @escaping () -> Date = Date.init) {
        self.store = store
        self.now = now
    }

    public func requireProfile(_ label: String?) throws -> Profile {
        guard let p = try store.profile(label: label) else {
            throw CAError.notFound(label.map { "unknown profile '\($0)'" } ?? "no default profile configured")
        }
        return p
    }

    /// Signs `csr` under `profile` and records the certificate before returning it.
    public func issue(csr: CertificateSigningRequest, profile: Profile, requester: String?,
                      replacing: IssuedCertificate? = nil) throws -> (Certificate, IssuedCertificate) {
        let (san, key) = try checkRequest(csr, profile: profile, usesItsKey: true)
        guard let publicKey = key else { throw CAError.badRequest("CSR has no usable public key") }
        return try sign(subject: csr.subject, subjectAltNameDER: san, publicKey: publicKey, profile: profile,
                        requester: requester, replacing: replacing)
    }

    /// The checks every CSR passes, whether its key is certified (enroll) or it is only a
    /// template (serverkeygen, RFC 7030 §4.4.1). Returns the requested subjectAltName and,
    /// when the CSR's own key is to be certified, that key after the key policy accepted it.
    func checkRequest(_ csr: CertificateSigningRequest, profile: Profile, usesItsKey: Bool) throws
        -> (subjectAltNameDER: Data?, publicKey: PublicKey?) {
        // RFC 7030 §4.2.1 / RFC 2986: the request proves possession of its key.
        guard csr.signatureIsValid else { throw CAError.badRequest("CSR signature does not verify") }
        var publicKey: PublicKey? = nil
        if usesItsKey {
            guard let key = csr.publicKey else { throw CAError.badRequest("CSR has no usable public key") }
            try IssuancePolicy.checkKey(key.algorithm, allowed: profile.keyTypes)
            publicKey = key
        }
        if profile.enforceCsrAttrs { try CSRAttributes.enforce(profile.csrAttrs, on: csr, checkKey: usesItsKey) }
        let san = csr.subjectAltNameDER
        guard !csr.subject.isEmpty || san != nil else {
            throw CAError.badRequest("CSR has neither a subject nor a subjectAltName")
        }
        return (san, publicKey)
    }

    func sign(subject: DistinguishedName, subjectAltNameDER: Data?, publicKey: PublicKey, profile: Profile,
              requester: String?, replacing: IssuedCertificate?) throws -> (Certificate, IssuedCertificate) {
        guard let issuer = try store.ca(named: profile.issuer) else {
            throw CAError.internalFailure("issuing CA '\(profile.issuer)' not found")
        }
        guard issuer.status == "active" else { throw CAError.internalFailure("issuing CA '\(issuer.name)' is disabled") }
        let issuerCert = try issuer.certificate
        let issuerKey = try store.signingKey(for: issuer)
        let (notBefore, notAfter) = try IssuancePolicy.validity(days: profile.validityDays, issuer: issuerCert, now: now())
        for _ in 0..<4 {
            let template = CertificateTemplate(
                subject: subject, publicKey: publicKey, serial: try CertificateTemplate.randomSerial(),
                notBefore: notBefore, notAfter: notAfter, isCA: false,
                keyUsage: IssuancePolicy.keyUsage(for: publicKey.algorithm), extendedKeyUsage: profile.eku,
                subjectAltNameDER: subjectAltNameDER)
            let cert: Certificate
            do { cert = try CertificateSigner.sign(template, issuer: issuerCert, issuerKey: issuerKey) }
            catch { throw CAError.internalFailure("signing failed: \(error)") }
            do {
                let record = try store.recordIssued(cert, issuer: issuer, profile: profile.label, requester: requester,
                                                    replaces: replacing, revokeReplaced: profile.revokeOnReenroll)
                return (cert, record)
            } catch is SerialCollision {
                continue  // 2^-127 odds; a fresh serial is cheaper than a lock
            }
        }
        throw CAError.internalFailure("could not allocate a unique serial")
    }

    // MARK: - EnrollmentAuthority

    public func caCertificates(profile label: String?) throws -> [Certificate] {
        let profile = try requireProfile(label)
        if profile.cacerts.isEmpty {
            guard let issuer = try store.ca(named: profile.issuer) else {
                throw CAError.internalFailure("issuing CA '\(profile.issuer)' not found")
            }
            return try [issuer.certificate] + issuer.chain
        }
        return try profile.cacerts.map { name in
            guard let ca = try store.ca(named: name) else { throw CAError.internalFailure("CA '\(name)' not found") }
            return try ca.certificate
        }
    }

    public func enroll(csr: CertificateSigningRequest, profile label: String?, client: Certificate?) throws -> Certificate {
        let profile = try requireProfile(label)
        guard let client else { throw CAError.unauthenticated("client certificate required") }
        try authorizeFirstEnrollment(client, profile: profile)
        return try issue(csr: csr, profile: profile, requester: client.subject.string).0
    }

    /// RFC 7030 §3.3.2: the TLS client certificate must chain, by our own verification and
    /// not only the web server's, to one of the profile's trust CAs, be inside its validity
    /// and not be revoked here.
    func authorizeFirstEnrollment(_ client: Certificate, profile: Profile) throws {
        guard !profile.trust.isEmpty else {
            throw CAError.forbidden("profile \(profile.displayName) trusts no CA for enrollment")
        }
        var anchors: [Certificate] = []
        for name in profile.trust {
            if let ca = try store.ca(named: name) { anchors.append(try ca.certificate) }
        }
        var intermediates: [Certificate] = []
        for ca in try store.allCAs() { intermediates += [try ca.certificate] + (try ca.chain) }
        let at = now()
        if case .untrusted(let why) = ChainVerifier(anchors: anchors, intermediates: intermediates).verify(client, at: at) {
            throw CAError.forbidden("client certificate not trusted for profile \(profile.displayName): \(why)")
        }
        if let record = try store.issuedCertificate(fingerprint: client.fingerprint.hexString), record.status == "revoked" {
            throw CAError.forbidden("client certificate is revoked")
        }
    }

    public func reenroll(csr: CertificateSigningRequest, profile label: String?, client: Certificate?) throws -> Certificate {
        let profile = try requireProfile(label)
        guard let client else { throw CAError.unauthenticated("client certificate required") }
        // The exact DER we issued, so its signature and contents are ours.
        guard let current = try store.issuedCertificate(fingerprint: client.fingerprint.hexString) else {
            throw CAError.forbidden("client certificate was not issued by this server")
        }
        guard current.profile == profile.label else {
            throw CAError.forbidden("client certificate belongs to profile \(current.profile ?? "(default)"), not \(profile.displayName)")
        }
        guard current.status == "valid" else { throw CAError.forbidden("client certificate is revoked") }
        let at = now()
        guard client.notBefore <= at, client.notAfter > at else {
            throw CAError.forbidden("client certificate is expired or not yet valid")
        }
        if let window = profile.reenrollWindowDays,
           at < client.notAfter.addingTimeInterval(-Double(window) * 86400) {
            throw CAError.forbidden("renewal window not open (opens \(window) days before \(Timestamp.string(client.notAfter)))")
        }
        // RFC 7030 §4.2.2: Subject and SubjectAltName identical to the current certificate.
        guard csr.subject == client.subject else {
            throw CAError.badRequest("re-enrollment CSR subject differs from the current certificate (RFC 7030 §4.2.2)")
        }
        guard csr.subjectAltNameDER == client.subjectAltNameDER else {
            throw CAError.badRequest("re-enrollment CSR subjectAltName differs from the current certificate (RFC 7030 §4.2.2)")
        }
        return try issue(csr: csr, profile: profile, requester: client.subject.string, replacing: current).0
    }

    /// RFC 7030 §4.4.1.1 DecryptKeyIdentifier (symmetric) and §4.4.1.2
    /// AsymmetricDecryptKeyIdentifier attribute OIDs.
    static let decryptKeyIdentifierOID = "1.2.840.113549.1.9.16.2.37"
    static let asymmetricDecryptKeyIdentifierOID = "1.2.840.113549.1.9.16.2.54"

    public func serverKeyGen(csr: CertificateSigningRequest, profile label: String?, client: Certificate?) throws
        -> ServerGeneratedKey {
        let profile = try requireProfile(label)
        guard let client else { throw CAError.unauthenticated("client certificate required") }
        try authorizeFirstEnrollment(client, profile: profile)
        guard let typeName = profile.serverKeygen, let keyType = KeyType(rawValue: typeName) else {
            throw CAError.forbidden("server key generation not enabled for this profile")
        }
        let san = try checkRequest(csr, profile: profile, usesItsKey: false).subjectAltNameDER
        let attributes = Set(csr.attributeOIDs)
        if attributes.contains(Self.decryptKeyIdentifierOID) {
            throw CAError.badRequest("symmetric DecryptKeyIdentifier (RFC 7030 §4.4.1.1) is not supported: no shared keys are configured")
        }
        // §4.4.1.2: encrypt to the certificate whose subjectKeyIdentifier the CSR names; or,
        // when the profile always encrypts, to the client's TLS certificate.
        var recipient: Certificate? = nil
        if attributes.contains(Self.asymmetricDecryptKeyIdentifierOID) {
            guard let ski = csr.octetStringAttribute(Self.asymmetricDecryptKeyIdentifierOID), !ski.isEmpty else {
                throw CAError.badRequest("AsymmetricDecryptKeyIdentifier must be one OCTET STRING")
            }
            recipient = client.subjectKeyIdentifier == ski ? client : try store.certificate(keyIdentifier: ski)
            guard recipient != nil else {
                throw CAError.badRequest("no certificate with subjectKeyIdentifier \(ski.hexString) to encrypt the key to")
            }
        } else if profile.serverKeygenEncrypt {
            recipient = client
        }
        let key = try PrivateKey.generate(keyType)
        // The key part is ready before anything is issued, so a key that cannot be
        // delivered (e.g. no way to encrypt to the recipient) never leaves a record behind.
        let privateKeyInfo = try key.pkcs8DER()
        let part: ServerGeneratedKey.KeyPart
        if let recipient {
            guard let issuer = try store.ca(named: profile.issuer) else {
                throw CAError.internalFailure("issuing CA '\(profile.issuer)' not found")
            }
            do {
                let sealed = try ServerKeyEnvelope.seal(
                    privateKeyInfo: privateKeyInfo, signer: try issuer.certificate, signerKey: try store.signingKey(for: issuer),
                    chain: try issuer.chain, recipient: recipient)
                part = .encrypted(sealed, recipient: recipient.subject.string)
            } catch let e as OpenSSLError {
                throw CAError.badRequest("cannot encrypt the key to \(recipient.subject) (\(recipient.publicKey.algorithm)): \(e.detail)")
            }
        } else {
            part = .pkcs8(privateKeyInfo)
        }
        let (cert, _) = try sign(subject: csr.subject, subjectAltNameDER: san, publicKey: key.publicKey, profile: profile,
                                 requester: client.subject.string, replacing: nil)
        return ServerGeneratedKey(key: part, certificate: cert, keyType: keyType)
    }

    public func csrAttributes(profile label: String?) throws -> Data? {
        try CSRAttributes.encode(try requireProfile(label).csrAttrs)
    }

    public func audit(_ event: AuditEvent) {
        // A failed audit insert must not turn an answered request into a crash; it is
        // still visible in the log line the adapter writes.
        try? store.recordAudit(event)
    }
}
