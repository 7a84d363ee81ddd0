import ESTOpenSSL
import Foundation

/// CA private keys: encrypted under the store passphrase when stored (PKCS#8, PBES2 with
/// AES-256), decrypted once per process when first used. The passphrase is given by the
/// command, which reads it from a file; it is never logged.
public final class CAKeyring: @unchecked Sendable {
    private let passphrase: String?
    private let lock = NSLock()
    /// Decrypted keys by their encrypted PEM, so that a re-keyed CA is decrypted afresh.
    private var cache: [String: PrivateKey] = [:]
    /// The module and PIN file for CA keys in a PKCS#11 token (CAKeyring+Token).
    let pkcs11: PKCS11Settings
    /// Token keys by module and URI, under their own lock: a slow or failing token does not
    /// hold up CAs with software keys.
    let tokenLock = NSLock()
    var tokenCache: [String: PrivateKey] = [:]

    public init(passphrase: String?, pkcs11: PKCS11Settings = PKCS11Settings()) {
        self.passphrase = passphrase
        self.pkcs11 = pkcs11
    }

    static let passphraseNeeded = "CA key passphrase needed: use --key-passphrase-file or ESTFCGI_KEY_PASSPHRASE_FILE"

    private func requirePassphrase() throws -> String {
        guard let passphrase else { throw CAError.internalFailure(Self.passphraseNeeded) }
        return passphrase
    }

    /// Fails early (e.g. `ca create`) when no passphrase was given.
    public func checkPassphrase() throws { _ = try requirePassphrase() }

    public func encrypt(_ key: PrivateKey) throws -> String {
        try key.encryptedPKCS8PEM(passphrase: try requirePassphrase())
    }

    /// The decrypted signing key of `ca`.
    public func signingKey(for ca: CARecord) throws -> PrivateKey {
        if let reference = ca.tokenKey { return try tokenSigningKey(for: ca, reference) }
        guard let pem = ca.encryptedKeyPEM else {
            throw CAError.internalFailure("CA '\(ca.name)' has no private key (trust anchor only)")
        }
        return try decrypted(pem, owner: "CA '\(ca.name)'")
    }

    /// The decrypted key of CA `ca`'s delegated OCSP responder.
    func ocspSigningKey(for signer: OCSPSignerRecord) throws -> PrivateKey {
        guard let pem = signer.encryptedKeyPEM else {
            throw CAError.internalFailure("the OCSP signer of CA '\(signer.ca)' has no key")
        }
        return try decrypted(pem, owner: "the OCSP signer of CA '\(signer.ca)'")
    }

    /// The decrypted key of an earlier generation of a CA (it signs OCSP answers and CRLs
    /// for what it certified).
    func generationKey(for generation: CAGeneration) throws -> PrivateKey {
        if let reference = generation.tokenKey {
            do { return try loadTokenKey(reference) }
            catch let p as TokenProblem {
                throw CAError.unavailable("an earlier key of CA '\(generation.caName)' in PKCS#11 token \(reference.uri.tokenDescription): \(p.description); fix: \(p.fix)")
            }
        }
        guard let pem = generation.encryptedKeyPEM else {
            throw CAError.internalFailure("the earlier certificate of CA '\(generation.caName)' has no key")
        }
        return try decrypted(pem, owner: "an earlier key of CA '\(generation.caName)'")
    }

    private func decrypted(_ pem: String, owner: String) throws -> PrivateKey {
        if let key = lock.withLock({ cache[pem] }) { return key }
        let passphrase = try requirePassphrase()
        let key: PrivateKey
        do { key = try PrivateKey(pem: pem, passphrase: passphrase) }
        catch { throw CAError.internalFailure("cannot decrypt the key of \(owner): wrong passphrase?") }
        lock.withLock { cache[pem] = key }
        return key
    }
}
