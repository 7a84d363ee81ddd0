import ESTOpenSSL

/// Which identities a profile certifies (RFC 7030 §3.3.2 leaves this to the CA): the
/// subjectAltName kinds it accepts, size limits, an optional binding to the bootstrap
/// certificate, patterns, and how often one bootstrap certificate may enroll.
public struct IdentityPolicy: Sendable, Equatable {
    /// Safe default: names a device can prove or a relying party checks; otherName (e.g.
    /// a UPN) and directoryName only when a profile asks for them.
    public static let defaultSANKinds: [GeneralNameKind] = [.dNSName, .iPAddress, .uniformResourceIdentifier, .rfc822Name]

    public var sanKinds: [GeneralNameKind] = IdentityPolicy.defaultSANKinds
    public var maxSANs: Int = 100
    /// DER bytes of the subject Name.
    public var maxSubjectBytes: Int = 2048
    public var binding: IdentityBinding = .none
    /// A regular expression the whole commonName must match (ICU syntax), nil for any.
    public var cnPattern: String? = nil
    /// A regular expression every dNSName must match as a whole, nil for any.
    public var dnsPattern: String? = nil
    /// How many certificates one bootstrap certificate may obtain under this profile
    /// (simpleenroll and serverkeygen), nil for no limit.
    public var bootstrapUses: Int? = nil

    public init() {}

    /// The `--san-kinds` spellings.
    static let kindNames: [(String, GeneralNameKind)] = [
        ("dns", .dNSName), ("ip", .iPAddress), ("uri", .uniformResourceIdentifier), ("email", .rfc822Name),
        ("othername", .otherName), ("dirname", .directoryName), ("rid", .registeredID),
    ]

    public static func sanKinds(parsing list: [String]) throws(CAError) -> [GeneralNameKind] {
        try list.map { s throws(CAError) in
            guard let kind = kindNames.first(where: { $0.0 == s })?.1 else {
                throw .badRequest("unknown SAN kind '\(s)' (use \(kindNames.map(\.0).joined(separator: ",")))")
            }
            return kind
        }
    }

    public static func name(of kind: GeneralNameKind) -> String {
        kindNames.first { $0.1 == kind }?.0 ?? kind.description
    }
}
