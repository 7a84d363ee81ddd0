import ESTOpenSSL

/// One thing a profile asks devices to put in their CSRs (RFC 7030 §4.5, with the ASN.1
/// of RFC 8951 §4), parsed once when the profile is set or loaded.
public enum CSRAttributeItem: Hashable, Sendable, CustomStringConvertible {
    /// PKCS#9 challengePassword attribute.
    case challengePassword
    /// serialNumber, in the subject (X.520) or as an attribute.
    case serialNumber
    /// RFC 2307 macAddress attribute.
    case macAddress
    /// A key type: id-ecPublicKey with the curve, rsaEncryption with the size, or Ed25519.
    case keyType(KeyType)
    case signatureAlgorithm(SignatureAlgorithm)
    /// An extensionRequest for subjectAltName; with a kind, a name of that kind is required.
    case subjectAltName(GeneralNameKind?)
    /// An extensionRequest naming this extension or attribute type (`ext:macAddress` or
    /// `ext:OID`), as in the RFC 7030 §4.5.2 example.
    case extensionRequest(OID)
    /// Any other OID, as an attribute, subject attribute or requested extension.
    case oid(OID)

    /// The `--csrattrs` spellings: `san-dns` and its siblings name the GeneralName kinds.
    static let sanSpellings: [(String, GeneralNameKind)] = [
        ("san-dns", .dNSName), ("san-ip", .iPAddress), ("san-email", .rfc822Name), ("san-uri", .uniformResourceIdentifier),
    ]

    public init(parsing text: String) throws(CAError) {
        switch text {
        case "challengePassword": self = .challengePassword
        case "serialNumber": self = .serialNumber
        case "macAddress": self = .macAddress
        case "san": self = .subjectAltName(nil)
        case "ext:macAddress": self = .extensionRequest(.macAddress)
        default:
            if text.hasPrefix("ext:"), let oid = OID(String(text.dropFirst(4))) { self = .extensionRequest(oid); return }
            if let (_, kind) = Self.sanSpellings.first(where: { $0.0 == text }) { self = .subjectAltName(kind); return }
            if let k = KeyType(rawValue: text) { self = .keyType(k); return }
            if let s = SignatureAlgorithm(rawValue: text) { self = .signatureAlgorithm(s); return }
            if let oid = OID(text) { self = .oid(oid); return }
            throw .badRequest("unknown csrattrs item '\(text)' (use challengePassword, serialNumber, macAddress, "
                + "a key type, a signature algorithm such as ecdsa-with-SHA384, san, san-dns, san-ip, san-email, san-uri, ext:OID, or an OID)")
        }
    }

    public var description: String {
        switch self {
        case .challengePassword: return "challengePassword"
        case .serialNumber: return "serialNumber"
        case .macAddress: return "macAddress"
        case .keyType(let k): return k.rawValue
        case .signatureAlgorithm(let s): return s.rawValue
        case .subjectAltName(nil): return "san"
        case .subjectAltName(let kind?): return Self.sanSpellings.first { $0.1 == kind }?.0 ?? "san"
        case .extensionRequest(let oid): return oid == .macAddress ? "ext:macAddress" : "ext:\(oid.dotted)"
        case .oid(let oid): return oid.dotted
        }
    }
}
