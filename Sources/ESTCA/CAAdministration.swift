import ESTOpenSSL
import Foundation

/// Creating and importing CAs (the `estfcgi ca` subcommands).
extension SQLiteCAStore {
    /// A self-signed root (no `issuer`), or an intermediate signed by CA `issuer` of this store.
    @discardableResult
    public func createCA(name: String, subject: String, keyType: KeyType, days: Int, issuer issuerName: String?,
                         pathLength: Int?) throws -> CARecord {
        guard days > 0, days <= 36500 else { throw CAError.badRequest("--days must be 1-36500") }
        if let p = pathLength, p < 0 { throw CAError.badRequest("--path-len must be >= 0") }
        _ = try requirePassphrase()
        let dn: DistinguishedName
        do { dn = try DistinguishedName(parsing: subject) } catch { throw CAError.badRequest("bad --subject: \(error)") }
        guard !dn.isEmpty else { throw CAError.badRequest("--subject must not be empty") }
        if try ca(named: name) != nil { throw CAError.badRequest("a CA named '\(name)' already exists") }

        let key = try PrivateKey.generate(keyType)
        let now = Date()
        var notAfter = now.addingTimeInterval(Double(days) * 86400)
        var issuerCert: Certificate? = nil
        var issuerKey = key
        var chain: [Certificate] = []
        if let issuerName {
            guard let parent = try ca(named: issuerName) else { throw CAError.notFound("no CA named '\(issuerName)'") }
            guard parent.status == "active" else { throw CAError.badRequest("CA '\(issuerName)' is disabled") }
            let parentCert = try parent.certificate
            if let limit = parentCert.pathLength, limit == 0 {
                throw CAError.badRequest("CA '\(issuerName)' has pathlen 0 and cannot sign a CA")
            }
            issuerKey = try signingKey(for: parent)
            issuerCert = parentCert
            chain = [parentCert] + (try parent.chain)
            notAfter = min(notAfter, parentCert.notAfter)
        }
        let template = CertificateTemplate(
            subject: dn, publicKey: key.publicKey, serial: try CertificateTemplate.randomSerial(),
            notBefore: now.addingTimeInterval(-300), notAfter: notAfter, isCA: true, pathLength: pathLength,
            keyUsage: ["keyCertSign", "cRLSign", "digitalSignature"])
        let cert = try CertificateSigner.sign(template, issuer: issuerCert, issuerKey: issuerKey)
        return try insertCA(name: name, certificate: cert, chain: chain, key: key)
    }

    /// Imports an existing CA. Without `keyPEM` it is a trust anchor only. `chainPEM`
    /// defaults to the chain of the store CA that signed it, if any.
    @discardableResult
    public func importCA(name: String, certificatePEM: String, keyPEM: String?, keyPassphrase: String?,
                         chainPEM: String?) throws -> CARecord {
        let cert: Certificate
        do { cert = try Certificate(pem: certificatePEM) } catch { throw CAError.badRequest("--cert: \(error)") }
        guard cert.isCA else { throw CAError.badRequest("--cert is not a CA certificate (basicConstraints CA:TRUE missing)") }
        var key: PrivateKey? = nil
        if let keyPEM {
            do { key = try PrivateKey(pem: keyPEM, passphrase: keyPassphrase) } catch { throw CAError.badRequest("--key: \(error)") }
            guard key!.matches(cert.publicKey) else { throw CAError.badRequest("--key does not match --cert") }
        }
        var chain: [Certificate] = []
        if let chainPEM {
            do { chain = try Certificate.all(fromPEM: chainPEM) } catch { throw CAError.badRequest("--chain: \(error)") }
            // Keep only the certificates above this one.
            chain.removeAll { $0.fingerprint == cert.fingerprint }
        } else if !cert.isSelfIssued {
            for parent in try allCAs() {
                let pc = try parent.certificate
                if pc.subject == cert.issuer, cert.isSigned(by: pc) { chain = [pc] + (try parent.chain); break }
            }
        }
        return try insertCA(name: name, certificate: cert, chain: chain, key: key)
    }

    /// PEM of the CA certificate followed by its chain up to the root.
    public func exportPEM(name: String) throws -> String {
        guard let ca = try ca(named: name) else { throw CAError.notFound("no CA named '\(name)'") }
        return try ([ca.certificate] + ca.chain).map(\.pem).joined()
    }
}
