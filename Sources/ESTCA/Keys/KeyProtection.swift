import ESTOpenSSL

/// How a stored software CA key is protected, as the store's key_protection column names
/// it. Stores may also hold older names (e.g. `pbkdf2-2048`): no case, re-encrypted by
/// `estfcgi init` with the passphrase at hand.
public enum KeyProtection: String, Sendable, CaseIterable {
    /// Encrypted PKCS#8 under a human passphrase: PBKDF2-SHA256, 600,000 iterations (~0.2 s).
    case passphrase = "pbkdf2-sha256-600000"
    /// Sealed under the key file's random secret: HKDF-SHA256 and AES-256-GCM (microseconds).
    case keyFile = "hkdf-sha256-keyfile"

    /// The protection of a stored key, by its form (a sealed key's PEM label).
    public static func of(pem: String) -> KeyProtection {
        SealedPrivateKey.isSealed(pem) ? .keyFile : .passphrase
    }

    /// The name `ca rekey-protection --to` takes.
    public var optionName: String {
        switch self {
        case .passphrase: return "passphrase"
        case .keyFile: return "key-file"
        }
    }
}
