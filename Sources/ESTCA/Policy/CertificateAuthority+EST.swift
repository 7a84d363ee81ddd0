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
        if profile.cacerts.isEmpty {
            let issuer = try requireCA(profile.issuer, in: m)
            return [issuer.certificate] + issuer.chain
        }
        return try profile.cacerts.map { try requireCA($0, in: m).certificate }
    }

    public func enroll(csr: CertificateSigningRequest, profile label: String?, client: Certificate,
                       audit: AuditEvent) throws -> Certificate {
        let m = try material()
        let profile = try requireProfile(label, in: m)
        try authorizeFirstEnrollment(client, profile: profile, in: m)
        try profile.identity.checkBinding(subject: csr.subject, client: client)
        return try issue(csr: csr, profile: profile, requester: Requester(name: client.subject.string, bootstrap: client),
                         replacing: nil, audit: audit, in: m).0
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
        try request.checkIdentity()
        return try issue(csr: request.csr, profile: profile, requester: Requester(name: client.subject.string),
                         replacing: current, audit: audit, in: m).0
    }

    public func serverKeyGen(_ request: ServerKeyGenRequest, profile label: String?, client: Certificate,
                             audit: AuditEvent) throws -> ServerGeneratedKey {
        let m = try material()
        let profile = try requireProfile(label, in: m)
        try authorizeFirstEnrollment(client, profile: profile, in: m)
        guard let keyType = profile.serverKeygen else {
            throw CAError.forbidden("server key generation not enabled for this profile")
        }
        let csr = request.template
        try profile.identity.checkBinding(subject: csr.subject, client: client)
        let san = try checkRequest(csr, profile: profile, usesItsKey: false, in: m)
        // §4.4.1.2: encrypt to the certificate whose subjectKeyIdentifier the CSR names; or,
        // when the profile always encrypts, to the client's TLS certificate.
        var recipient: Certificate? = nil
        if let ski = request.encryptTo {
            recipient = client.subjectKeyIdentifier == ski ? client : try certificate(keyIdentifier: ski, in: m)
            guard recipient != nil else {
                throw CAError.badRequest("no certificate with subjectKeyIdentifier \(ski.hexString) to encrypt the key to")
            }
        } else if profile.serverKeygenEncrypt {
            recipient = client
        }
        let key = try keyGenerations.run(for: client.issuerAndSerialDigest.hexString) { try PrivateKey.generate(keyType) }
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
        var event = audit
        event.reason += ServerGeneratedKey.auditDetail(keyType: keyType, encryptedTo: part.recipient)
        let (cert, _) = try sign(subject: csr.subject, subjectAltNameDER: san, publicKey: try key.publicKey, profile: profile,
                                 requester: Requester(name: client.subject.string, bootstrap: client), replacing: nil,
                                 audit: event, in: m)
        return ServerGeneratedKey(key: part, certificate: cert, keyType: keyType)
    }

    public func csrAttributes(profile label: String?) throws -> Data? {
        CSRAttributes.encode(try requireProfile(label).csrAttrs)
    }

    public func audit(_ event: AuditEvent) throws {
        try store.queueAudit(event, now: now())
    }
}
