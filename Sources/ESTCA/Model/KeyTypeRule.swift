import ESTOpenSSL

/// One entry of a profile's `--key-types`: an exact key type, or a whole family.
public enum KeyTypeRule: Hashable, Sendable, CustomStringConvertible {
    case exact(KeyType)
    case rsa
    case ec

    public init(parsing text: String) throws(CAError) {
        switch text {
        case "rsa": self = .rsa
        case "ec": self = .ec
        default:
            guard let k = KeyType(rawValue: text) else {
                throw .badRequest("unknown key type '\(text)' (use \(KeyType.names), rsa or ec)")
            }
            self = .exact(k)
        }
    }

    public var description: String {
        switch self {
        case .exact(let k): return k.rawValue
        case .rsa: return "rsa"
        case .ec: return "ec"
        }
    }

    public func allows(_ algorithm: KeyAlgorithm) -> Bool {
        switch self {
        case .exact(let k): return algorithm.keyType == k
        case .rsa: return algorithm.isRSA
        case .ec: return algorithm.keyType?.isEC == true
        }
    }
}
