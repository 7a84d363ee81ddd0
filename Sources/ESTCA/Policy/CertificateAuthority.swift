import ESTCore
import ESTOpenSSL
import Foundation

/// Issuance policy over any `CAStore`. The CLI's `cert issue` and the EST endpoints both
/// sign through `issue`, so they cannot disagree.
public final class CertificateAuthority {
    public let store: any CAStore
    let keyring: CAKeyring
    /// Shared by every authority of a process (one per worker), like the keyring.
    let keyGenerations: KeyGenerationGate
    /// The parsed CAs and profiles, shared by the process's authorities like the keyring.
    let materials: CAMaterialCache
    let now: () -> Date

    public init(store: any CAStore, keyring: CAKeyring, keyGenerations: KeyGenerationGate = KeyGenerationGate(),
                materials: CAMaterialCache = CAMaterialCache(), now: @escaping () -> Date = Date.init) {
        // The store's errors (StoreError) are answered here, as CAError with its HTTP status.
        self.store = AuthorityStore.wrapping(store)
        self.keyring = keyring
        self.keyGenerations = keyGenerations
        self.materials = materials
        self.now = now
    }

    /// The CAs and profiles as the store holds them now.
    func material() throws -> CAMaterial { try materials.material(from: store) }

    public func requireProfile(_ label: String?) throws -> Profile {
        try requireProfile(label, in: try material())
    }

    func requireProfile(_ label: String?, in m: CAMaterial) throws -> Profile {
        guard let p = m.profile(label: label) else {
            throw CAError.notFound(label.map { "unknown profile '\($0)'" } ?? "no default profile configured")
        }
        return p
    }

    func requireCA(_ name: String, in m: CAMaterial) throws -> CARecord {
        guard let ca = m.ca(named: name) else { throw CAError.internalFailure("CA '\(name)' not found") }
        return ca
    }

    /// Who asked for a certificate, as recorded with it.
    struct Requester {
        var name: String?
        /// The bootstrap certificate of a first enrollment, counted against `--bootstrap-uses`.
        var bootstrap: Certificate? = nil
        /// The HTTP user that authenticated it, under a profile that takes HTTP authentication.
        var httpUser: String? = nil

        /// Who exactly asked: only they may collect an approved request.
        var key: String {
            [bootstrap.map { "cert:" + $0.issuerAndSerialDigest.hexString }, httpUser.map { "http:" + $0 }]
                .compactMap { $0 }.joined(separator: " ")
        }
    }

    /// Signs `csr` under `profile` and records the certificate, with `audit` (its serial
    /// filled in) in the same transaction, before returning it.
    public func issue(csr: CertificateSigningRequest, profile: Profile, requester: String?,
                      audit: AuditEvent?) throws -> (Certificate, IssuedCertificate) {
        let m = try material()
        let checked = try checkRequest(csr, profile: profile, usesItsKey: true, in: m)
        return try sign(subject: csr.subject, subjectAltNameDER: checked.san, publicKey: csr.publicKey, profile: profile,
                        requester: Requester(name: requester), conditions: IssuanceConditions(), audit: audit, in: m)
    }

    /// A CSR as the checks read it: the subject and subjectAltName to sign, the latter
    /// strictly parsed.
    struct CheckedRequest {
        var subject: DistinguishedName
        var san: Data?
        var names: [GeneralName]
    }

    /// The identity a certificate is issued with, when it is not the CSR's own: a renewal
    /// (RFC 7030 §4.2.2) carries the renewed certificate's subject and subjectAltName bytes.
    struct IssuedIdentity {
        var subject: DistinguishedName
        var subjectAltNameDER: Data?
    }

    /// The checks every CSR passes, whether its key is certified (enroll) or it is only a
    /// template (serverkeygen, RFC 7030 §4.4.1). The identity checks run on what is issued:
    /// the CSR's subject and subjectAltName, or `identity` when given.
    func checkRequest(_ csr: CertificateSigningRequest, profile: Profile, usesItsKey: Bool, in m: CAMaterial,
                      identity: IssuedIdentity? = nil) throws -> CheckedRequest {
        // Read, named and refused here (audited): estfcgi writes no OID arc past 64 bits.
        if let fault = csr.oidWithArcPast64Bits { throw CAError.badRequest("CSR \(fault): OID arc too large (over 64 bits)") }
        // RFC 7030 §4.2.1 / RFC 2986: the request proves possession of its key.
        guard csr.signatureIsValid else { throw CAError.badRequest("CSR signature does not verify") }
        if usesItsKey { try IssuancePolicy.checkKey(csr.publicKey, allowed: profile.keyTypes) }
        if profile.enforceCsrAttrs { try CSRAttributes.enforce(profile.csrAttrs, on: csr, checkKey: usesItsKey) }
        let identity = identity ?? IssuedIdentity(subject: csr.subject, subjectAltNameDER: csr.subjectAltNameDER)
        let subject = identity.subject
        guard !subject.isEmpty || identity.subjectAltNameDER != nil else {
            throw CAError.badRequest("CSR has neither a subject nor a subjectAltName")
        }
        // What is signed is read strictly first: exact DER, allowed string types and
        // characters, no control characters (RFC 5280 §4.1.2.4, §4.2.1.6).
        do { try subject.checkStrict() } catch { throw CAError.badRequest("CSR subject: \(error)") }
        var names: [GeneralName] = []
        if let der = identity.subjectAltNameDER {
            do { names = try GeneralName.parseAll(der).names } catch { throw CAError.badRequest("CSR subjectAltName: \(error)") }
        }
        try profile.identity.check(subject: subject, subjectAltName: names)
        // A leaf named like a CA would chain confusingly and could be mistaken for it.
        if !subject.isEmpty, let i = subject.firstEquivalentSubject(in: m.caCertificates) {
            throw CAError.badRequest("CSR subject is the subject of CA '\(m.cas[i].name)'")
        }
        return CheckedRequest(subject: subject, san: identity.subjectAltNameDER, names: names)
    }

    /// Signs and records; `conditions` gets the profile's bootstrap limit and revocation
    /// on re-enrollment here.
    func sign(subject: DistinguishedName, subjectAltNameDER: Data?, publicKey: PublicKey, profile: Profile,
              requester: Requester, conditions: IssuanceConditions, audit: AuditEvent?,
              in m: CAMaterial) throws -> (Certificate, IssuedCertificate) {
        var conditions = conditions
        conditions.revokeReplaced = profile.revokeOnReenroll
        conditions.bootstrapLimit = requester.bootstrap == nil ? nil : profile.identity.bootstrapUses
        let issuer = try requireCA(profile.issuer, in: m)
        guard issuer.status == .active else { throw CAError.internalFailure("issuing CA '\(issuer.name)' is disabled") }
        let issuerKey = try keyring.signingKey(for: issuer)
        // Which of the CA's keys signs: its CRLs have that key's URL (CRLIssuerPath).
        let keyIndex = CAKeyHistory(current: issuer.certificate,
                                    generations: m.generations.filter { ByteName.same($0.caName, issuer.name) }).currentIndex
        let at = now()
        let validity = try IssuancePolicy.validity(days: profile.validityDays, issuer: issuer.certificate, now: at)
        for _ in 0..<4 {
            var template = CertificateTemplate(
                subject: subject, publicKey: publicKey, serial: try CertificateTemplate.randomSerial(),
                notBefore: validity.notBefore, notAfter: validity.notAfter, isCA: false,
                keyUsage: IssuancePolicy.keyUsage(for: publicKey.algorithm), extendedKeyUsage: profile.eku,
                subjectAltNameDER: subjectAltNameDER, crlDistributionPoints: profile.crlDistributionPoint(issuer: issuer.name, keyIndex: keyIndex).map { [$0] } ?? [])
            // RFC 5280 §4.2.2.1: where relying parties ask this CA's OCSP responder.
            template.ocspURLs = profile.ocspURL.map { [$0] } ?? []
            let cert: Certificate
            do { cert = try CertificateSigner.sign(template, issuer: issuer.certificate, issuerKey: issuerKey) }
            catch { throw CAError.internalFailure("signing failed: \(error)") }
            do {
                let row = NewCertificate(cert, issuer: issuer, profile: profile.label, requester: requester.name,
                                         requesterKey: requester.bootstrap?.issuerAndSerialDigest.hexString)
                let record = try store.recordIssued(row, conditions: conditions, audit: audit, now: at)
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
    func authorizeFirstEnrollment(_ client: Certificate, profile: Profile, in m: CAMaterial) throws {
        guard !profile.trust.isEmpty else {
            throw CAError.forbidden("profile \(profile.displayName) trusts no CA for enrollment")
        }
        // A bootstrap certificate is a TLS client's end-entity certificate (RFC 5280
        // §4.2.1.9, §4.2.1.12) with a key this CA would certify itself, whatever its chain.
        guard !client.isCA else { throw CAError.untrusted("client certificate is a CA certificate (basicConstraints CA:TRUE)") }
        guard client.allowsClientAuth else {
            throw CAError.untrusted("client certificate is not for TLS client authentication (extendedKeyUsage lacks clientAuth)")
        }
        do { try IssuancePolicy.checkKey(client.publicKey, allowed: []) }
        catch { throw CAError.untrusted("client certificate key refused: \((error as? CAError)?.reason ?? "\(error)")") }
        let verdict = m.verifier(for: profile)?.verify(client, at: now()) ?? .untrusted("profile not loaded")
        if case .untrusted(let why) = verdict {
            throw CAError.untrusted("client certificate not trusted for profile \(profile.displayName): \(why)")
        }
        try checkNotRevokedOrDenied(client, cas: m.cas)
    }

    /// Revocation and denials, by issuer and serial (and a denial's exact fingerprint): a
    /// copy of the certificate with its ECDSA signature re-encoded is the same certificate.
    func checkNotRevokedOrDenied(_ client: Certificate, cas: [CARecord]) throws {
        let issuers = Set(cas.filter { $0.certificate.subject == client.issuer }.map { ByteName($0.name) })
        let standing = try store.clientStanding(serial: client.serialHex, fingerprint: client.fingerprint.hexString)
        if let revoked = standing.revoked.first(where: { issuers.contains(ByteName($0.issuer)) }) {
            throw CAError.revokedClient(revoked.reason)
        }
        if standing.deniedBy.contains(where: { issuers.contains(ByteName($0)) }) {
            throw CAError.forbidden("client certificate is denied (estfcgi bootstrap deny)")
        }
    }

    /// A certificate this store holds (issued or CA) whose subjectKeyIdentifier is `ski`.
    func certificate(keyIdentifier ski: Data, in m: CAMaterial) throws -> Certificate? {
        if let record = try store.issuedCertificate(keyIdentifier: ski) { return try Certificate(der: record.der) }
        return m.cas.map(\.certificate).first { $0.subjectKeyIdentifier == ski }
    }
}
