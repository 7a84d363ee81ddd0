import ESTCore
import ESTOpenSSL

/// Per-label enrollment policy (RFC 7030 §3.2.2 label; Lamassu's "APS"). Every setting is
/// a typed value, parsed once when the profile is set or loaded.
public struct Profile: Sendable, Equatable {
    /// nil for the default profile (`/.well-known/est/{op}`).
    public var label: String?
    /// The name of the CA that signs under this profile.
    public var issuer: String
    /// Names of the CAs whose certificates may authenticate a first enrollment.
    public var trust: [String] = []
    /// Names of the CAs /cacerts returns; empty means the issuer and its chain.
    public var cacerts: [String] = []
    public var validityDays: Int = 365
    /// Accepted key types; empty means any that issuance policy accepts.
    public var keyTypes: [KeyTypeRule] = []
    public var eku: [ExtendedKeyUsage] = [.clientAuth]
    public var reenrollWindowDays: Int? = nil
    public var revokeOnReenroll: Bool = false
    /// The key type serverkeygen generates; nil when server key generation is off.
    public var serverKeygen: KeyType? = nil
    public var serverKeygenEncrypt: Bool = false
    public var csrAttrs: [CSRAttributeItem] = []
    public var enforceCsrAttrs: Bool = false
    /// Which identities this profile certifies.
    public var identity = IdentityPolicy()
    /// What authenticates a first enrollment (RFC 7030 §3.2.3).
    public var auth: ClientAuthentication = .certificate
    /// The device registry (`--registration`), and which CSR field names a device.
    public var registration: DeviceRegistration = .off
    public var deviceID: DeviceIdentifier = .cn
    /// A registered device holding a valid certificate may simpleenroll again, which
    /// revokes that certificate (superseded).
    public var replaceableEnrollment: Bool = false
    /// First enrollments wait for an operator (RFC 7030 §4.2.3), answered 202 with
    /// `Retry-After: approvalRetryAfter` (seconds) meanwhile.
    public var approval: ApprovalMode = .auto
    public var approvalRetryAfter: Int = 60
    /// The CRL distribution point URL put in issued certificates (RFC 5280 §4.2.1.13);
    /// `{ca}` in it stands for the issuing CA's name (`CRLIssuerPath`).
    public var crlURL: String? = nil
    /// The CA whose CRL `/LABEL/crl` serves when that is not `issuer`: the profile's issuer
    /// before it changed, whose certificates may carry this label's CRL URL. Set by
    /// `CAAdministration.saveProfile` when the issuer changes.
    public var crlCA: String? = nil
    /// The OCSP responder URL put in issued certificates' authorityInfoAccess (RFC 5280
    /// §4.2.2.1 id-ad-ocsp), nil for none.
    public var ocspURL: String? = nil
    /// The external authorization hook consulted before signing; nil for none.
    public var authorize: AuthorizationHook? = nil

    /// This profile's own CRL path, `/.well-known/est/[LABEL/]crl`.
    public var labelCRLPath: String { "/.well-known/est/" + (label.map { $0 + "/" } ?? "") + "crl" }

    /// What `/LABEL/crl` serves.
    public var crlServedByLabel: String { crlCA ?? issuer }

    /// The distribution point for a certificate `issuer` signs under this profile.
    /// `keyIndex`: which key of the CA signs it (`CAKeyHistory`), 0 for its first.
    public func crlDistributionPoint(issuer: String, keyIndex: Int = 0) -> String? {
        crlURL.map { CRLIssuerPath.url($0, issuer: issuer, keyIndex: keyIndex) }
    }

    /// Whether the CRL URL names the issuing CA, so that certificates of any issuer find theirs.
    public var crlURLNamesIssuer: Bool { crlURL?.contains(CRLIssuerPath.placeholder) ?? false }

    public init(label: String?, issuer: String) {
        self.label = label
        self.issuer = issuer
    }

    public var displayName: String { label ?? "(default)" }

    /// The settings' own limits (CA names are checked against the store when saved).
    public func validate() throws {
        if let label { try ProfileLabel.validate(label) }
        guard (1...36500).contains(validityDays) else { throw CAError.badRequest("validity must be 1-36500 days") }
        if let w = reenrollWindowDays, w < 0 { throw CAError.badRequest("re-enrollment window must be >= 0 days") }
        try identity.validate()
        guard (1...86400).contains(approvalRetryAfter) else { throw CAError.badRequest("--approval-retry-after must be 1-86400 seconds") }
        if let crlURL {
            do { try DistributionPointURI.validate(CRLIssuerPath.url(crlURL, issuer: "ca")) } catch {
                throw CAError.badRequest("--crl-url: \(error)")
            }
        }
        if let ocspURL {
            do { try OCSPURL.validate(ocspURL) } catch { throw CAError.badRequest("--ocsp-url: \(error)") }
        }
        try authorize?.validate()
    }

    public static func auth(parsing text: String) throws(CAError) -> ClientAuthentication { try choice(text, "--auth") }
    public static func registration(parsing text: String) throws(CAError) -> DeviceRegistration { try choice(text, "--registration") }
    public static func deviceID(parsing text: String) throws(CAError) -> DeviceIdentifier { try choice(text, "--device-id") }
    public static func approval(parsing text: String) throws(CAError) -> ApprovalMode { try choice(text, "--approval") }

    /// One of a closed set of settings, by its name; the refusal lists them.
    static func choice<T: RawRepresentable & CaseIterable>(_ text: String, _ option: String) throws(CAError) -> T
        where T.RawValue == String {
        guard let value = T(rawValue: text) else {
            throw .badRequest("\(option) takes \(T.allCases.map(\.rawValue).joined(separator: "|"))")
        }
        return value
    }

    // The `a,b,c` spellings of the list settings, as the CLI takes them and the store keeps them.

    public static func keyTypes(parsing list: [String]) throws(CAError) -> [KeyTypeRule] {
        try list.map { s throws(CAError) in try KeyTypeRule(parsing: s) }
    }

    public static func eku(parsing list: [String]) throws(CAError) -> [ExtendedKeyUsage] {
        try list.map { s throws(CAError) in
            guard let e = ExtendedKeyUsage(s) else {
                throw .badRequest("unknown extended key usage '\(s)' (use \(ExtendedKeyUsage.named.map(\.description).sorted().joined(separator: ",")) or an OID)")
            }
            return e
        }
    }

    public static func csrAttrs(parsing list: [String]) throws(CAError) -> [CSRAttributeItem] {
        try list.map { s throws(CAError) in try CSRAttributeItem(parsing: s) }
    }

    public static func serverKeygen(parsing text: String) throws(CAError) -> KeyType? {
        if text == "none" { return nil }
        guard let k = KeyType(rawValue: text) else { throw .badRequest("unknown server key type '\(text)' (use \(KeyType.names))") }
        return k
    }
}
