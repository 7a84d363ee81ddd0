import ESTOpenSSL

/// The CSR signature algorithms a profile can ask for in /csrattrs (RFC 5758 §3.2,
/// RFC 4055 §5).
public enum SignatureAlgorithm: String, CaseIterable, Sendable {
    case ecdsaWithSHA256 = "ecdsa-with-SHA256"
    case ecdsaWithSHA384 = "ecdsa-with-SHA384"
    case ecdsaWithSHA512 = "ecdsa-with-SHA512"
    case sha256WithRSAEncryption = "sha256WithRSAEncryption"
    case sha384WithRSAEncryption = "sha384WithRSAEncryption"
    case sha512WithRSAEncryption = "sha512WithRSAEncryption"

    public var oid: OID {
        switch self {
        case .ecdsaWithSHA256: return .ecdsaWithSHA256
        case .ecdsaWithSHA384: return .ecdsaWithSHA384
        case .ecdsaWithSHA512: return .ecdsaWithSHA512
        case .sha256WithRSAEncryption: return .sha256WithRSAEncryption
        case .sha384WithRSAEncryption: return .sha384WithRSAEncryption
        case .sha512WithRSAEncryption: return .sha512WithRSAEncryption
        }
    }
}
