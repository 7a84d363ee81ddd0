/// Why a sealed private key (`SealedPrivateKey`) cannot be opened. The descriptions never
/// carry key material: only the key files' identifiers.
public enum SealedKeyError: Error, CustomStringConvertible, Equatable, Sendable {
    /// Not a sealed key this version knows (truncated, another format, an unknown version).
    case malformed(String)
    /// Sealed under another key file: the identifiers of the one it needs and the one given.
    case wrongKeyFile(sealedWith: String, given: String)
    /// The right key file, but the tag does not authenticate what is stored: altered.
    case notAuthentic
    /// A secret of the wrong length (a key file holds exactly 32 bytes).
    case badSecret

    public var description: String {
        switch self {
        case .malformed(let why): return "not a sealed private key: \(why)"
        case .wrongKeyFile(let sealed, let given):
            return "sealed with key file \(sealed), not with the key file given (\(given))"
        case .notAuthentic: return "the sealed key fails authentication: it was altered"
        case .badSecret: return "a key file secret is \(SealedPrivateKey.secretLength) bytes"
        }
    }
}
