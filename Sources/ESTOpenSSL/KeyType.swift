/// The key types estfcgi generates and names in profiles.
public enum KeyType: String, CaseIterable, Sendable, Codable {
    case ecP256 = "ec-p256"
    case ecP384 = "ec-p384"
    case ecP521 = "ec-p521"
    case rsa2048 = "rsa-2048"
    case rsa3072 = "rsa-3072"
    case rsa4096 = "rsa-4096"
    case ed25519 = "ed25519"

    public static var names: String { allCases.map(\.rawValue).joined(separator: "|") }

    /// The modulus size of an RSA type, nil for the others.
    public var rsaBits: Int? {
        switch self {
        case .rsa2048: return 2048
        case .rsa3072: return 3072
        case .rsa4096: return 4096
        case .ecP256, .ecP384, .ecP521, .ed25519: return nil
        }
    }

    /// The named curve of an EC type (RFC 5480 §2.1.1.1), nil for the others.
    public var curve: OID? {
        switch self {
        case .ecP256: return .secp256r1
        case .ecP384: return .secp384r1
        case .ecP521: return .secp521r1
        case .rsa2048, .rsa3072, .rsa4096, .ed25519: return nil
        }
    }

    public var isEC: Bool { curve != nil }
}
