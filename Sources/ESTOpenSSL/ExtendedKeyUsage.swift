/// An RFC 5280 §4.2.1.12 key purpose: the named ones profiles use, or any other OID.
public enum ExtendedKeyUsage: Hashable, Sendable, CustomStringConvertible {
    case serverAuth, clientAuth, codeSigning, emailProtection, timeStamping, ocspSigning, ipsecIKE, msSmartcardLogin
    case custom(OID)

    public static let named: [ExtendedKeyUsage] = [
        .clientAuth, .serverAuth, .codeSigning, .emailProtection, .timeStamping, .ocspSigning, .ipsecIKE, .msSmartcardLogin,
    ]

    /// A name as operators write it (`clientAuth`, `OCSPSigning`, ...) or a dotted OID,
    /// which stays `.custom` so that it is shown as the operator wrote it.
    public init?(_ text: String) {
        if let usage = Self.named.first(where: { $0.description == text }) { self = usage; return }
        guard let oid = OID(text) else { return nil }
        self = .custom(oid)
    }

    /// The named case for a known OID, `.custom` otherwise.
    public init(oid: OID) {
        self = Self.named.first { $0.oid == oid } ?? .custom(oid)
    }

    public var oid: OID {
        switch self {
        case .serverAuth: return .serverAuth
        case .clientAuth: return .clientAuth
        case .codeSigning: return .codeSigning
        case .emailProtection: return .emailProtection
        case .timeStamping: return .timeStamping
        case .ocspSigning: return .ocspSigning
        case .ipsecIKE: return .ipsecIKE
        case .msSmartcardLogin: return .msSmartcardLogin
        case .custom(let oid): return oid
        }
    }

    /// OpenSSL's short name for the named ones, the dotted OID for the others.
    public var description: String {
        switch self {
        case .serverAuth: return "serverAuth"
        case .clientAuth: return "clientAuth"
        case .codeSigning: return "codeSigning"
        case .emailProtection: return "emailProtection"
        case .timeStamping: return "timeStamping"
        case .ocspSigning: return "OCSPSigning"
        case .ipsecIKE: return "ipsecIKE"
        case .msSmartcardLogin: return "msSmartcardLogin"
        case .custom(let oid): return oid.dotted
        }
    }
}
