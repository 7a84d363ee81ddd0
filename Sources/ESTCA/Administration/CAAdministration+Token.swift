import ESTCore
import ESTOpenSSL
import Foundation

/// CAs whose key is in a PKCS#11 token (made with the token's own tools: softhsm2-util,
/// pkcs11-tool): the store keeps the URI and the module path, the token signs.
extension CAAdministration {
    /// The URI of `--pkcs11-key`, checked: a module-path in it is refused, since only the
    /// operator's --pkcs11-module / ESTFCGI_PKCS11_MODULE chooses the library loaded.
    public static func tokenKeyReference(uri text: String, module: String?) throws -> TokenKeyReference {
        let uri: PKCS11URI
        do { uri = try PKCS11URI(text) } catch { throw CAError.badRequest("--pkcs11-key: \(error)") }
        guard uri.modulePath == nil else {
            throw CAError.badRequest("--pkcs11-key: module-path is not taken from a URI; give the module with --pkcs11-module or ESTFCGI_PKCS11_MODULE")
        }
        if let module {
            guard module.hasPrefix("/"), module.utf8.count <= 1024,
                  !module.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7f }) else {
                throw CAError.badRequest("--pkcs11-module must be an absolute path")
            }
        }
        return TokenKeyReference(uri: uri, module: module)
    }

    /// The token key, or the one-line reason and fix (as the CLI prints it).
    func tokenKey(_ reference: TokenKeyReference) throws -> PrivateKey {
        do { return try keyring.loadTokenKey(reference) }
        catch let p as CAKeyring.TokenProblem { throw CAError.badRequest("--pkcs11-key: \(p.description); fix: \(p.fix)") }
    }

    /// A self-signed root (no `issuer`) or an intermediate signed by CA `issuer`, whose key is
    /// the token key `reference` names.
    @discardableResult
    public func createCA(name: String, subject: String, tokenKey reference: TokenKeyReference, days: Int, issuer issuerName: String?,
                         pathLength: Int?) throws -> CARecord {
        guard days > 0, days <= 36500 else { throw CAError.badRequest("--days must be 1-36500") }
        if let p = pathLength, p < 0 { throw CAError.badRequest("--path-len must be >= 0") }
        let dn: DistinguishedName
        do { dn = try DistinguishedName(parsing: subject) } catch { throw CAError.badRequest("bad --subject: \(error)") }
        guard !dn.isEmpty else { throw CAError.badRequest("--subject must not be empty") }
        try checkTokenCAName(name)

        let key = try tokenKey(reference)
        let (cert, chain) = try certifyCA(dn, key: key, days: days, issuerName: issuerName, pathLength: pathLength)
        // The token signed it (a root) or holds its key: check before the store keeps it.
        guard try key.matches(certificate: cert) else { throw CAError.badRequest("--pkcs11-key: the token key does not sign as its public key verifies") }
        return try store.insertCA(NewCA(name: name, certificate: cert, chain: chain, tokenKey: reference),
                                  audit: .admin("ca-create", reason: "CA '\(name)' \(cert.subject) key in PKCS#11 token"), now: now())
    }

    /// Imports CA `certificatePEM` whose key is the token key `reference` names: the token
    /// signs a test digest that the certificate's public key must verify.
    @discardableResult
    public func importCA(name: String, certificatePEM: String, tokenKey reference: TokenKeyReference, chainPEM: String?) throws -> CARecord {
        try checkTokenCAName(name)
        let cert: Certificate
        do { cert = try Certificate(pem: certificatePEM) } catch { throw CAError.badRequest("--cert: \(error)") }
        guard cert.isCA else { throw CAError.badRequest("--cert is not a CA certificate (basicConstraints CA:TRUE missing)") }
        let key = try tokenKey(reference)
        let matches: Bool
        do { matches = try key.matches(certificate: cert) } catch { throw CAError.badRequest("--pkcs11-key: the token could not sign a test digest: \(error)") }
        guard matches else {
            throw CAError.badRequest("--pkcs11-key does not match --cert; fix: point the URI at the key the certificate was made for (pkcs11-tool --list-objects)")
        }
        let chain = try importedChain(of: cert, chainPEM: chainPEM)
        return try store.insertCA(NewCA(name: name, certificate: cert, chain: chain, tokenKey: reference),
                                  audit: .admin("ca-create", reason: "CA '\(name)' \(cert.subject) key in PKCS#11 token"), now: now())
    }

    private func checkTokenCAName(_ name: String) throws {
        guard !name.isEmpty, name.count <= 64, !name.contains(",") else { throw CAError.badRequest("CA name must be 1-64 characters without commas") }
        guard ByteName.isNFC(name) else { throw CAError.badRequest(ByteName.notNFC("CA name")) }
        if try store.ca(named: name) != nil { throw CAError.badRequest("a CA named '\(name)' already exists") }
    }
}
