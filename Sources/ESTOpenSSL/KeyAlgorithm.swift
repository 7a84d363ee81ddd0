internal import COpenSSL

/// What a public key is, as read from a certificate or CSR.
public enum KeyAlgorithm: Equatable, Sendable, CustomStringConvertible {
    case rsa(bits: Int)
    /// An id-RSASSA-PSS key (RFC 4055 §1.2): for signatures only.
    case rsaPSS(bits: Int)
    /// `curve` is OpenSSL's group name: prime256v1, secp384r1, secp521r1, ...
    case ec(curve: String)
    case ed25519
    case other(String)

    /// The profile name of this key (`ec-p256`, `rsa-3072`, ...), nil when estfcgi has none.
    public var keyType: KeyType? {
        switch self {
        case .rsa(let bits): return KeyType.allCases.first { $0.rsaBits == bits }
        case .ec(let curve):
            switch curve {
            case "prime256v1", "P-256": return .ecP256
            case "secp384r1", "P-384": return .ecP384
            case "secp521r1", "P-521": return .ecP521
            default: return nil
            }
        case .ed25519: return .ed25519
        case .rsaPSS, .other: return nil
        }
    }

    public var description: String {
        switch self {
        case .rsa(let bits): return "RSA \(bits)"
        case .rsaPSS(let bits): return "RSA-PSS \(bits)"
        case .ec(let curve): return "EC \(curve)"
        case .ed25519: return "Ed25519"
        case .other(let name): return name
        }
    }

    /// RSA of either kind (rsaEncryption or id-RSASSA-PSS).
    public var isRSA: Bool { rsaBits != nil }

    public var rsaBits: Int? {
        switch self {
        case .rsa(let bits), .rsaPSS(let bits): return bits
        default: return nil
        }
    }

    /// The signature digest used when this key signs: SHA-256 for RSA and P-256,
    /// SHA-384 for P-384, SHA-512 for P-521, none for Ed25519 (RFC 8410 §6).
    var signingDigest: OpaquePointer? {
        switch self {
        case .ec(let curve) where curve == "secp384r1": return Digest.fetchedSHA384
        case .ec(let curve) where curve == "secp521r1": return Digest.fetchedSHA512
        case .ed25519: return nil
        default: return Digest.fetchedSHA256
        }
    }

    /// Reads the algorithm of an EVP_PKEY (borrowed).
    init(of pkey: OpaquePointer) {
        switch EVP_PKEY_get_base_id(pkey) {
        case EVP_PKEY_RSA:
            self = .rsa(bits: Int(EVP_PKEY_get_bits(pkey)))
        case EVP_PKEY_RSA_PSS:
            self = .rsaPSS(bits: Int(EVP_PKEY_get_bits(pkey)))
        case EVP_PKEY_EC:
            var buf = [CChar](repeating: 0, count: 80)
            var len = 0
            guard EVP_PKEY_get_group_name(pkey, &buf, buf.count, &len) == 1 else {
                OpenSSLError.drainQueue()
                self = .other("EC (unnamed curve)")
                return
            }
            self = .ec(curve: String(decoding: buf.prefix(len).map { UInt8(bitPattern: $0) }, as: UTF8.self))
        case EVP_PKEY_ED25519:
            self = .ed25519
        case EVP_PKEY_DSA:
            self = .other("DSA \(EVP_PKEY_get_bits(pkey))")
        default:
            if let name = OBJ_nid2sn(EVP_PKEY_get_base_id(pkey)) { self = .other(String(cString: name)) }
            else { self = .other("unknown key type") }
        }
    }
}
