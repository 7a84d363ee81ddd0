import ESTOpenSSL
import Foundation

/// CA private keys: stored encrypted, decrypted once per process when first used. Two
/// protections (`KeyProtection`): under the store passphrase (PKCS#8, PBES2 with
/// PBKDF2 and AES-256), or sealed under the key file's random secret (HKDF-SHA256 and
/// AES-256-GCM, `SealedPrivateKey`), which unlocks in microseconds, for CGI and other
/// unattended servers. Each stored key says which by its form, so one store may hold
/// both. The command reads both from files; neither is ever logged.
public final class CAKeyring: @unchecked Sendable {
    private let passphrase: String?
    /// Texts earlier versions may have sealed keys under (PassphraseFile.readings): tried,
    /// in order, only when `passphrase` does not open a key. New keys use `passphrase`.
    private let earlierPassphrases: [String]
    /// The key file, when one was given; new keys are then sealed under it.
    public let keyFile: KeyFile?
    private let lock = NSLock()
    /// Decrypted keys by their encrypted PEM, so that a re-keyed CA is decrypted afresh.
    private var cache: [String: PrivateKey] = [:]
    /// The module and PIN file for CA keys in a PKCS#11 token (CAKeyring+Token).
    let pkcs11: PKCS11Settings
    /// Token keys by module and URI, under their own lock: a slow or failing token does not
    /// hold up CAs with software keys.
    let tokenLock = NSLock()
    var tokenCache: [String: PrivateKey] = [:]

    public init(passphrase: String?, earlierPassphrases: [String] = [], keyFile: KeyFile? = nil,
                pkcs11: PKCS11Settings = PKCS11Settings()) {
        self.passphrase = passphrase
        self.earlierPassphrases = passphrase == nil ? [] : earlierPassphrases
        self.keyFile = keyFile
        self.pkcs11 = pkcs11
    }

    static let passphraseNeeded = "CA key passphrase needed: use --key-passphrase-file or ESTFCGI_KEY_PASSPHRASE_FILE"
    static let keyFileNeeded = "CA key file needed: use --key-file or ESTFCGI_KEY_FILE"
    static let protectionNeeded = "CA key passphrase needed: use --key-passphrase-file or ESTFCGI_KEY_PASSPHRASE_FILE (or a key file: --key-file or ESTFCGI_KEY_FILE)"

    private func requirePassphrase() throws -> String {
        guard let passphrase else { throw CAError.internalFailure(Self.passphraseNeeded) }
        return passphrase
    }

    private func requireKeyFile() throws -> KeyFile {
        guard let keyFile else { throw CAError.internalFailure(Self.keyFileNeeded) }
        return keyFile
    }

    /// Whether a passphrase was given.
    public var hasPassphrase: Bool { passphrase != nil }

    /// The protection new keys get: the key file's when one was given, else the passphrase's.
    public var preferredProtection: KeyProtection? {
        keyFile != nil ? .keyFile : (passphrase != nil ? .passphrase : nil)
    }

    /// Fails early (e.g. `ca create`) when neither a key file nor a passphrase was given.
    public func checkPassphrase() throws {
        guard preferredProtection != nil else { throw CAError.internalFailure(Self.protectionNeeded) }
    }

    /// `key` encrypted as `preferredProtection`.
    public func encrypt(_ key: PrivateKey) throws -> String {
        guard let protection = preferredProtection else { throw CAError.internalFailure(Self.protectionNeeded) }
        return try encrypt(key, as: protection)
    }

    public func encrypt(_ key: PrivateKey, as protection: KeyProtection) throws -> String {
        switch protection {
        case .passphrase: return try key.encryptedPKCS8PEM(passphrase: try requirePassphrase())
        case .keyFile: return try SealedPrivateKey.seal(key, secret: try requireKeyFile().secret)
        }
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

    func decrypted(_ pem: String, owner: String) throws -> PrivateKey {
        if let key = lock.withLock({ cache[pem] }) { return key }
        let key: PrivateKey
        if SealedPrivateKey.isSealed(pem) {
            guard let keyFile else { throw CAError.internalFailure("the key of \(owner) is sealed under a key file: use --key-file or ESTFCGI_KEY_FILE") }
            do { key = try SealedPrivateKey.open(pem, secret: keyFile.secret) }
            catch let e as SealedKeyError { throw CAError.internalFailure("cannot decrypt the key of \(owner) with key file \(keyFile.path): \(e)") }
        } else {
            let passphrase = try requirePassphrase()
            guard let opened = ([passphrase] + earlierPassphrases).lazy.compactMap({ try? PrivateKey(pem: pem, passphrase: $0) }).first else {
                throw CAError.internalFailure("cannot decrypt the key of \(owner): wrong passphrase?")
            }
            key = opened
        }
        lock.withLock { cache[pem] = key }
        return key
    }
}
