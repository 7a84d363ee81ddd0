import ESTCore
import ESTOpenSSL
import Foundation

/// The EST operations (RFC 7030 §4) on top of issuance policy. The core has already
/// checked the request's shape, that a client certificate is present and the §4.4.1
/// attributes.
extension CertificateAuthority: EnrollmentAuthority {
    public func caCertificates(profile label: String?) throws -> [Certificate] {
        let m = try material()
        let profile = try requireProfile(label, in: m)
        let certificates: [Certificate]
        if profile.cacerts.isEmpty {
            let issuer = try requireCA(profile.issuer, in: m)
            certificates = [issuer.certificate] + issuer.chain
        } else {
            certificates = try profile.cacerts.map { try requireCA($0, in: m).certificate }
        }
        return withRootKeyUpdate(certificates, in: m)
    }

    /// RFC 7030 §4.1.3: while a root served here is in a rollover's overlap, /cacerts also
    /// carries its Root CA Key Update certificates, OldWithNew, NewWithOld and NewWithNew,
    /// so devices trusting either root can reach the other (RFC 4210 §4.4).
    func withRootKeyUpdate(_ certificates: [Certificate], in m: CAMaterial) -> [Certificate] {
        var out = certificates
        for g in m.generations where g.inOverlap {
            guard let current = m.ca(named: g.caName)?.certificate,
                  certificates.contains(where: { $0 == g.certificate || $0 == current }) else { continue }
            for c in [g.oldWithNew, g.newWithOld, current].compactMap({ $0 }) where !out.contains(c) { out.append(c) }
        }
        return out
    }

    public func clientAuthentication(profile label: String?) -> ClientAuthentication {
        (try? material().profile(label: label))?.auth ?? .certificate
    }

    /// From the material this process last read, with no version read: the core only lets
    /// a request on with it, and `enroll`/`reenroll`/`serverKeyGen` decide on current material.
    public func lastKnownClientAuthentication(profile label: String?) -> ClientAuthentication? {
        materials.lastRead?.profile(label: label)?.auth
    }

    public func enroll(csr: CertificateSigningRequest, profile label: String?, credentials: ClientCredentials,
                       audit: AuditEvent) throws -> Certificate {
        let m = try material()
        let profile = try requireProfile(label, in: m)
        let requester = try authenticateFirstEnrollment(credentials, profile: profile, subject: csr.subject, in: m)
        let checked = try checkRequest(csr, profile: profile, usesItsKey: true, in: m)
        let device = try deviceClaim(subject: csr.subject, checked: checked, profile: profile, requester: requester,
                                     renewal: false)
        let approved = try awaitApproval(csr, operation: .simpleenroll, keyType: csr.publicKey.algorithm.keyType?.rawValue ?? "\(csr.publicKey.algorithm)",
                                         profile: profile, device: device?.name, requester: requester)
        // The hook is sent only a client certificate verified here (--auth cert, cert+http):
        // under --auth http one the web server passed is whatever the client chose to present
        // (nginx's optional_no_ca), which a hook must not take for checked.
        let event = try consultAuthorizationHook(.simpleenroll, csr: csr, checked: checked, profile: profile, device: device,
                                                 client: requester.bootstrap, httpUser: credentials.httpUser, audit: audit)
        return try sign(subject: csr.subject, subjectAltNameDER: checked.san, publicKey: csr.publicKey, profile: profile,
                        requester: requester, conditions: IssuanceConditions(device: device, approvedRequest: approved),
                        audit: event, in: m).0
    }

    public func reenroll(_ request: ReenrollmentRequest, profile label: String?, audit: AuditEvent) throws -> Certificate {
        let m = try material()
        let profile = try requireProfile(label, in: m)
        let client = request.current
        // The exact DER we issued, so its signature and contents are ours.
        guard let current = try store.issuedCertificate(fingerprint: client.fingerprint.hexString) else {
            throw CAError.untrusted("client certificate was not issued by this server")
        }
        guard current.profile == profile.label else {
            throw CAError.forbidden("client certificate belongs to profile \(current.profile ?? "(default)"), not \(profile.displayName)")
        }
        // Checked again when the successor is recorded, in its transaction.
        guard current.status == .valid else { throw CAError.revokedClient(current.revocationReason) }
        // A denied bootstrap certificate must not renew itself into a fresh one.
        try checkNotRevokedOrDenied(client, cas: m.cas)
        let at = now()
        guard client.notBefore <= at, client.notAfter > at else {
            throw CAError.forbidden("client certificate is expired or not yet valid")
        }
        if let window = profile.reenrollWindowDays, at < client.notAfter.addingTimeInterval(-.days(window)) {
            throw CAError.forbidden("renewal window not open (opens \(window) days before \(Timestamp.string(client.notAfter)))")
        }
        var requester = Requester(name: client.subject.string)
        if profile.auth.requiresHTTP(renewal: true) {
            guard let user = request.httpUser else { throw CAError.unauthenticated("HTTP authentication required") }
            requester = Requester(name: ClientCredentials(certificate: client, httpUser: user).description, httpUser: user)
        }
        try request.checkIdentity()
        // The renewal is issued with the renewed certificate's subject and subjectAltName
        // bytes, not the CSR's encoding of the same names (RFC 5280 §7.1 equality), so a
        // device's identity never changes bytes; the profile's identity rules are checked
        // on those bytes, as they stand today.
        let checked = try checkRequest(request.csr, profile: profile, usesItsKey: true, in: m,
                                       identity: IssuedIdentity(subject: client.subject, subjectAltNameDER: client.subjectAltNameDER))
        let device = try deviceClaim(subject: checked.subject, checked: checked, profile: profile, requester: requester,
                                     renewal: true)
        let event = try consultAuthorizationHook(.simplereenroll, csr: request.csr, checked: checked, profile: profile, device: device,
                                                 client: client, httpUser: request.httpUser, audit: audit)
        return try sign(subject: checked.subject, subjectAltNameDER: checked.san, publicKey: request.csr.publicKey,
                        profile: profile, requester: requester,
                        conditions: IssuanceConditions(replacing: current, device: device), audit: event, in: m).0
    }

    public func serverKeyGen(_ request: ServerKeyGenRequest, profile label: String?, credentials: ClientCredentials,
                             audit: AuditEvent) throws -> ServerGeneratedKey {
        let m = try material()
        let profile = try requireProfile(label, in: m)
        let csr = request.template
        let requester = try authenticateFirstEnrollment(credentials, profile: profile, subject: csr.subject, in: m)
        guard let keyType = profile.serverKeygen else {
            throw CAError.forbidden("server key generation not enabled for this profile")
        }
        let checked = try checkRequest(csr, profile: profile, usesItsKey: false, in: m)
        // §4.4.1.2: encrypt to the certificate whose subjectKeyIdentifier the CSR names; or,
        // when the profile always encrypts, to the client's TLS certificate.
        let client = credentials.certificate
        var recipient: Certificate? = nil
        if let ski = request.encryptTo {
            recipient = client?.subjectKeyIdentifier == ski ? client : try certificate(keyIdentifier: ski, in: m)
            guard recipient != nil else {
                throw CAError.badRequest("no certificate with subjectKeyIdentifier \(ski.hexString) to encrypt the key to")
            }
        } else if profile.serverKeygenEncrypt {
            guard let client else {
                throw CAError.badRequest("this profile encrypts server-generated keys: name a recipient (RFC 7030 §4.4.1.2) or present a client certificate")
            }
            recipient = client
        }
        let device = try deviceClaim(subject: csr.subject, checked: checked, profile: profile, requester: requester,
                                     renewal: false)
        let approved = try awaitApproval(csr, operation: .serverkeygen, keyType: "server-generated \(keyType.rawValue)",
                                         profile: profile, device: device?.name, requester: requester)
        let hooked = try consultAuthorizationHook(.serverkeygen, csr: csr, checked: checked, profile: profile, device: device,
                                                  client: requester.bootstrap, httpUser: credentials.httpUser, audit: audit)
        let key = try keyGenerations.run(for: requester.key) { try PrivateKey.generate(keyType) }
        // The key part is ready before anything is issued, so a key that cannot be
        // delivered (e.g. no way to encrypt to the recipient) never leaves a record behind.
        let privateKeyInfo = try key.pkcs8DER()
        let part: ServerGeneratedKey.KeyPart
        if let recipient {
            let issuer = try requireCA(profile.issuer, in: m)
            do {
                let sealed = try ServerKeyEnvelope.seal(
                    privateKeyInfo: privateKeyInfo, signer: issuer.certificate, signerKey: try keyring.signingKey(for: issuer),
                    chain: issuer.chain, recipient: recipient)
                part = .encrypted(sealed, recipient: recipient.subject.string)
            } catch let e as OpenSSLError {
                throw CAError.badRequest("cannot encrypt the key to \(recipient.subject) (\(recipient.publicKey.algorithm)): \(e.detail)")
            }
        } else {
            part = .pkcs8(privateKeyInfo)
        }
        var event = hooked
        event.reason += ServerGeneratedKey.auditDetail(keyType: keyType, encryptedTo: part.recipient)
        let (cert, _) = try sign(subject: csr.subject, subjectAltNameDER: checked.san, publicKey: try key.publicKey,
                                 profile: profile, requester: requester,
                                 conditions: IssuanceConditions(device: device, approvedRequest: approved), audit: event, in: m)
        return ServerGeneratedKey(key: part, certificate: cert, keyType: keyType)
    }

    public func csrAttributes(profile label: String?) throws -> Data? {
        CSRAttributes.encode(try requireProfile(label).csrAttrs)
    }

    /// `/LABEL/crl`: the CRL of the CA whose certificates carry that URL (`crlCA`, once the
    /// profile's issuer has changed), not of whichever CA issues under the label today.
    public func crl(profile label: String?) throws -> Data {
        let profile = try requireProfile(label)
        guard let crl = try store.latestCRL(issuer: profile.crlServedByLabel) else {
            // The CA's name is the operator's business, not an anonymous client's.
            throw CAError.notFound("no CRL published yet")
        }
        return crl.der
    }

    /// `/crl/NAME` and `/crl/NAME(N)`: the latest CRL signed by the key whose certificates
    /// carry that URL (`CRLIssuerPath`). The current key's CRLs are `crl`'s records; an
    /// earlier key's (RFC 4210 §4.4: it signs the CRLs of what it certified) are
    /// `recordKeyCRL`'s. So `/crl/NAME` of a CA that rolled over serves its first key's CRL.
    public func crl(issuer segment: String) throws -> Data {
        // Unknown CA, unknown key and no CRL yet answer alike: which CAs exist is the operator's business.
        let none = CAError.notFound("no CRL published yet")
        let m = try material()
        guard let (name, index) = CRLIssuerPath.parse(segment), let ca = m.ca(named: name) else { throw none }
        let generations = m.generations.filter { ByteName.same($0.caName, ca.name) }
        let history = CAKeyHistory(current: ca.certificate, generations: generations)
        guard let keyID = history.keyID(index) else { throw none }
        if index != history.currentIndex, let crl = try store.latestKeyCRL(issuer: ca.name, keyID: keyID) {
            return crl.der
        }
        // The CA's own CRLs: the current key's, or, until the first `crl` run after a rollover,
        // the CRLs its earlier key signed before it. Served only when signed by the key the
        // URL names: a relying party finds no other key on its path (RFC 5280 §6.3.3).
        let spki = history.keys[index]
        let signer = spki == ca.certificate.publicKey.spkiDER
            ? ca.certificate : generations.last(where: { $0.certificate.publicKey.spkiDER == spki })?.certificate
        guard let signer, let published = try store.latestCRL(issuer: ca.name),
              let crl = try? CertificateRevocationList(der: published.der), crl.isSigned(by: signer) else { throw none }
        return published.der
    }

    public func audit(_ event: AuditEvent) throws {
        try store.queueAudit(event, now: now())
    }
}
