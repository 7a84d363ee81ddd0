import ESTCore
import ESTOpenSSL
import Foundation

/// Root key rollover (RFC 4210 §4.4, served per RFC 7030 §4.1.3) and intermediate renewal.
/// A CA keeps its name; `ca rollover` and `ca renew` give it a new current certificate (and
/// key), and keep the one it replaces as a `CAGeneration`: still trusted for client chains,
/// its key signing only CRLs of what it certified.
extension CAAdministration {
    /// What `ca rollover` made: NewWithNew (the CA's new current certificate) and the links.
    public struct Rollover {
        public let ca: CARecord
        public let newWithOld: Certificate
        public let oldWithNew: Certificate
    }

    /// A new key for root `name`, its self-signed certificate (NewWithNew, same subject) and
    /// the two link certificates: NewWithOld (new key, signed by the old) and OldWithNew (old
    /// key, signed by the new), each valid no longer than either root. Starts the overlap:
    /// /cacerts carries all three until `finishRollover`. The new key is generated (software,
    /// encrypted under the store passphrase) or is the token key `tokenKey` names (made
    /// beforehand with the token's own tools); the old one signs NewWithOld wherever it lives.
    public func rollover(name: String, keyType: KeyType?, tokenKey reference: TokenKeyReference? = nil, days: Int?) throws -> Rollover {
        guard let ca = try store.ca(named: name) else { throw CAError.notFound("no CA named '\(name)'") }
        let old = ca.certificate
        guard old.isSelfIssued, ca.chain.isEmpty, old.isSigned(by: old) else {
            throw CAError.badRequest("CA '\(name)' is not a root (it is signed by \(old.issuer)); re-certify it with: ca renew --name \(name)")
        }
        guard ca.hasKey else { throw CAError.badRequest("CA '\(name)' has no private key: it cannot certify a new key (NewWithOld)") }
        guard ca.status == .active else { throw CAError.badRequest("CA '\(name)' is disabled") }
        if keyType != nil, reference != nil { throw CAError.badRequest("give --key or --pkcs11-key, not both") }
        if try store.caGenerations(ofCA: name).contains(where: \.inOverlap) {
            throw CAError.badRequest("CA '\(name)' has a rollover in progress; end it first: ca rollover --name \(name) --finish")
        }
        if reference == nil { try keyring.checkPassphrase() }
        let oldKey = try keyring.signingKey(for: ca)
        let newKey: PrivateKey
        let described: String
        if let reference {
            newKey = try tokenKey(reference)
            described = "key in PKCS#11 token \(reference.uri.tokenDescription)"
        } else {
            let type = try keyType ?? sameKeyType(as: old, ca: name)
            newKey = try PrivateKey.generate(type)
            described = "\(type.rawValue) key"
        }
        // A "new" key that is the old one would link a key to itself: no rollover at all.
        let newSPKI = (try newKey.publicKey).spkiDER
        guard newSPKI != old.publicKey.spkiDER else {
            throw CAError.badRequest("--pkcs11-key names the root's current key; make a new key in the token first (pkcs11-tool --keypairgen)")
        }
        try refuseEarlierKey(newSPKI, of: name)
        let lifetime = try validityDays(days, like: old)
        let at = now()
        let notBefore = at.addingTimeInterval(-IssuancePolicy.clockSkew)
        let newNotAfter = at.addingTimeInterval(.days(lifetime))
        guard old.notAfter > at else { throw CAError.badRequest("CA '\(name)' has expired: create a new root instead") }
        // RFC 4210 §4.4: each link is valid no longer than the certificates it joins.
        let linkNotAfter = min(newNotAfter, old.notAfter)
        func template(_ key: PublicKey, notAfter: Date) throws -> CertificateTemplate {
            CertificateTemplate(subject: old.subject, publicKey: key, serial: try CertificateTemplate.randomSerial(),
                                notBefore: notBefore, notAfter: notAfter, isCA: true, pathLength: old.pathLength,
                                keyUsage: IssuancePolicy.caKeyUsage)
        }
        let newWithNew: Certificate, newWithOld: Certificate, oldWithNew: Certificate
        do {
            newWithNew = try CertificateSigner.sign(try template(try newKey.publicKey, notAfter: newNotAfter), issuer: nil, issuerKey: newKey)
            newWithOld = try CertificateSigner.sign(try template(try newKey.publicKey, notAfter: linkNotAfter), issuer: old, issuerKey: oldKey)
            oldWithNew = try CertificateSigner.sign(try template(old.publicKey, notAfter: linkNotAfter), issuer: newWithNew, issuerKey: newKey)
        } catch {
            throw CAError.internalFailure("signing the rollover certificates of CA '\(name)' failed: \(error)")
        }
        // Each signature checked before the store keeps it: a token that signs wrongly (or a
        // key the token swapped) must not leave a root that verifies nothing.
        guard newWithNew.isSigned(by: newWithNew), newWithOld.isSigned(by: old), oldWithNew.isSigned(by: newWithNew) else {
            throw CAError.internalFailure("the rollover certificates of CA '\(name)' do not verify; nothing was changed")
        }
        let record = try store.replaceCertificate(
            CAReplacement(name: name, replacing: old, certificate: newWithNew, chain: [],
                          encryptedKeyPEM: reference == nil ? try keyring.encrypt(newKey) : nil, tokenKey: reference,
                          newWithOld: newWithOld, oldWithNew: oldWithNew),
            audit: .admin("ca-rollover", reason: "CA '\(name)' new \(described) \(newWithNew.fingerprint.hexString); overlap begins"),
            now: at)
        return Rollover(ca: record, newWithOld: newWithOld, oldWithNew: oldWithNew)
    }

    /// Ends root `name`'s overlap: /cacerts no longer carries the old root and the links.
    /// The old key keeps signing only the CRLs of what it certified (`publishPreviousKeyCRLs`).
    public func finishRollover(name: String) throws {
        guard try store.ca(named: name) != nil else { throw CAError.notFound("no CA named '\(name)'") }
        guard try store.caGenerations(ofCA: name).contains(where: \.inOverlap) else {
            throw CAError.badRequest("CA '\(name)' has no rollover in progress")
        }
        try store.finishOverlap(ofCA: name, audit: .admin("ca-rollover-finish", reason: "CA '\(name)' overlap ended"), now: now())
    }

    /// Re-certifies issuing CA `name` (its key, or a new one of the same type, or the new
    /// token key `tokenKey` names) under the current certificate of `issuer` (default: the
    /// store CA that signed it). Profiles naming it issue under the new certificate at once;
    /// certificates issued before keep verifying through the kept generation.
    @discardableResult
    public func renew(name: String, newKey: Bool, tokenKey reference: TokenKeyReference? = nil, issuer issuerName: String?,
                      days: Int?) throws -> CARecord {
        guard let ca = try store.ca(named: name) else { throw CAError.notFound("no CA named '\(name)'") }
        let old = ca.certificate
        if old.isSelfIssued, ca.chain.isEmpty {
            throw CAError.badRequest("CA '\(name)' is a root: give it a new key with: ca rollover --name \(name)")
        }
        guard ca.hasKey else { throw CAError.badRequest("CA '\(name)' has no private key (trust anchor only) and cannot be renewed here") }
        let parent: CARecord
        if let issuerName {
            guard let p = try store.ca(named: issuerName) else { throw CAError.notFound("no CA named '\(issuerName)'") }
            guard !ByteName.same(p.name, name) else { throw CAError.badRequest("CA '\(name)' cannot certify itself") }
            parent = p
        } else {
            // By the issuer's name; one with a key first (a trust anchor of that name cannot sign).
            let named = try store.allCAs().filter { !ByteName.same($0.name, name) && $0.certificate.subject == old.issuer }
            guard let p = named.first(where: \.hasKey) ?? named.first else {
                throw CAError.notFound("no CA in the store is named \(old.issuer), which signed CA '\(name)'; give --issuer")
            }
            parent = p
        }
        guard parent.hasKey, parent.status == .active else {
            throw CAError.badRequest("issuer '\(parent.name)' has no usable key (\(parent.hasKey ? "disabled" : "trust anchor only"))")
        }
        if parent.certificate.pathLength == 0 { throw CAError.badRequest("CA '\(parent.name)' has pathlen 0 and cannot sign a CA") }
        // The store passphrase only when a software key is made (the signing keys say what they need).
        let softwareNewKey = newKey && reference == nil
        if softwareNewKey { try keyring.checkPassphrase() }
        let parentKey = try keyring.signingKey(for: parent)
        let key: PrivateKey
        if let reference {
            key = try tokenKey(reference)
        } else if newKey {
            key = try PrivateKey.generate(try sameKeyType(as: old, ca: name))
        } else {
            key = try keyring.signingKey(for: ca)
        }
        if reference != nil {
            let spki = (try key.publicKey).spkiDER
            if spki == old.publicKey.spkiDER {
                throw CAError.badRequest("--pkcs11-key names the CA's current key; renew without --new-key to re-certify it")
            }
            try refuseEarlierKey(spki, of: name)
        }
        let at = now()
        let validity = try IssuancePolicy.validity(days: try validityDays(days, like: old), issuer: parent.certificate, now: at)
        let template = CertificateTemplate(
            subject: old.subject, publicKey: try key.publicKey, serial: try CertificateTemplate.randomSerial(),
            notBefore: validity.notBefore, notAfter: validity.notAfter, isCA: true, pathLength: old.pathLength,
            keyUsage: IssuancePolicy.caKeyUsage)
        let cert: Certificate
        do { cert = try CertificateSigner.sign(template, issuer: parent.certificate, issuerKey: parentKey) }
        catch { throw CAError.internalFailure("signing the renewed certificate of CA '\(name)' failed: \(error)") }
        guard cert.isSigned(by: parent.certificate) else {
            throw CAError.internalFailure("the renewed certificate of CA '\(name)' does not verify with '\(parent.name)'; nothing was changed")
        }
        // The key it certifies must be one the CA can sign with (a token key: sign and verify now).
        if reference != nil, !(try key.matches(certificate: cert)) {
            throw CAError.badRequest("--pkcs11-key: the token key does not sign as its public key verifies")
        }
        let replacement: CAReplacement
        if softwareNewKey {
            replacement = CAReplacement(name: name, replacing: old, certificate: cert, chain: [parent.certificate] + parent.chain,
                                        encryptedKeyPEM: try keyring.encrypt(key))
        } else {
            // The token key given, or the CA's own key kept where it is (token or encrypted).
            replacement = CAReplacement(name: name, replacing: old, certificate: cert, chain: [parent.certificate] + parent.chain,
                                        encryptedKeyPEM: reference == nil ? ca.encryptedKeyPEM : nil, tokenKey: reference ?? ca.tokenKey)
        }
        let how = reference.map { " with a new key in PKCS#11 token \($0.uri.tokenDescription)" } ?? (newKey ? " with a new key" : "")
        return try store.replaceCertificate(
            replacement,
            audit: .admin("ca-renew", reason: "CA '\(name)' under '\(parent.name)'\(how) \(cert.fingerprint.hexString)"),
            now: at)
    }

    /// RFC 5280 §5, RFC 4210 §4.4: a certificate signed by an earlier key of CA `name` is
    /// listed on a CRL signed by that key (its authorityKeyIdentifier names it). One CRL per
    /// earlier key that still has unexpired certificates, numbered `number` (the CA's CRL of
    /// this run); the current key's CRL is `publishCRL`'s. Each is recorded (`recordKeyCRL`)
    /// and served at its key's URL, `/crl/NAME` or `/crl/NAME(N)` (CRLIssuerPath).
    public func previousKeyCRLs(ca name: String, number: Int64, nextUpdateHours: Int) throws -> [CertificateRevocationList] {
        try previousKeyCRLsByKey(ca: name, number: number, nextUpdateHours: nextUpdateHours).map(\.crl)
    }

    /// The keys CA `name` has had (their index names their CRL URL, `CRLIssuerPath`).
    public func keyHistory(ca name: String) throws -> CAKeyHistory {
        guard let ca = try store.ca(named: name) else { throw CAError.notFound("no CA named '\(name)'") }
        return CAKeyHistory(current: ca.certificate, generations: try store.caGenerations(ofCA: name))
    }

    /// `previousKeyCRLs`, each with the index of the key that signed it.
    public func previousKeyCRLsByKey(ca name: String, number: Int64, nextUpdateHours: Int) throws
        -> [(keyIndex: Int, crl: CertificateRevocationList)] {
        guard (1...8760).contains(nextUpdateHours) else { throw CAError.badRequest("--next-update must be 1-8760 hours") }
        guard let ca = try store.ca(named: name) else { throw CAError.notFound("no CA named '\(name)'") }
        let at = now()
        var seen: Set<Data> = [ca.certificate.publicKey.spkiDER]
        var out: [(keyIndex: Int, crl: CertificateRevocationList)] = []
        let generations = try store.caGenerations(ofCA: name)
        let history = CAKeyHistory(current: ca.certificate, generations: generations)
        // Read and parsed once for every key: each key's CRL lists what its AKI names.
        let revokedByAKI = Dictionary(grouping: try store.revokedCertificates(issuer: name, now: at)) {
            (try? Certificate(der: $0.der))?.authorityKeyIdentifier
        }
        // Newest first: a key's latest certificate signs its CRL.
        for g in generations.reversed() where g.hasKey {
            let spki = g.certificate.publicKey.spkiDER
            guard seen.insert(spki).inserted, let ski = g.certificate.subjectKeyIdentifier else { continue }
            // What a key signed ends no later than its certificate (IssuancePolicy.validity):
            // once that has expired, the key has nothing left to list.
            guard g.certificate.notAfter > at else { continue }
            let key: PrivateKey
            do { key = try keyring.generationKey(for: g) }
            catch let e as CAError { throw CAError.unavailable("CA '\(name)': the CRL of its earlier key \(ski.hexString) was not signed: \(e.reason)") }
            let entries = try (revokedByAKI[ski] ?? []).map(Self.crlEntry)
            let crl: CertificateRevocationList
            do {
                crl = try CRLSigner.sign(CRLTemplate(number: number, thisUpdate: at,
                                                     nextUpdate: at.addingTimeInterval(Double(nextUpdateHours) * 3600),
                                                     entries: entries), issuer: g.certificate, issuerKey: key)
            } catch {
                throw CAError.internalFailure("signing a CRL with an earlier key of CA '\(name)' failed: \(error)")
            }
            out.append((history.index(of: g.certificate.publicKey) ?? 0, crl))
            let record = PublishedCRL(issuer: name, number: number, thisUpdate: Timestamp.string(crl.thisUpdate),
                                      nextUpdate: crl.nextUpdate.map(Timestamp.string) ?? "", entries: entries.count, der: crl.der)
            do {
                try store.recordKeyCRL(record, keyID: CAKeyHistory.keyID(spki: spki),
                                       audit: .admin("crl-previous-key", reason: "CA '\(name)' key \(ski.hexString) CRL \(number), \(entries.count) revoked"),
                                       now: at)
            } catch is CRLNumberTaken {
                continue  // a later run already recorded a newer CRL of this key
            }
        }
        return out
    }

    /// A key once replaced does not come back: its CRLs have their own URL (CAKeyHistory),
    /// and what it signs after its retirement would be listed on neither.
    private func refuseEarlierKey(_ spki: Data, of name: String) throws {
        if try store.caGenerations(ofCA: name).contains(where: { $0.certificate.publicKey.spkiDER == spki }) {
            throw CAError.badRequest("--pkcs11-key names an earlier key of CA '\(name)', which signs only CRLs now; make a new key in the token")
        }
    }

    private func sameKeyType(as cert: Certificate, ca name: String) throws -> KeyType {
        guard let type = cert.publicKey.algorithm.keyType else {
            throw CAError.badRequest("CA '\(name)' has a key of a type this server does not generate; give --key")
        }
        return type
    }

    /// `--days`, or as long as the certificate it replaces was valid.
    private func validityDays(_ days: Int?, like cert: Certificate) throws -> Int {
        if let days {
            guard days > 0, days <= 36500 else { throw CAError.badRequest("--days must be 1-36500") }
            return days
        }
        return max(1, min(36500, Int((cert.notAfter.timeIntervalSince(cert.notBefore) / 86400).rounded())))
    }
}
