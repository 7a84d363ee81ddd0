import ESTOpenSSL
import Foundation

/// A CA in the store: an issuer (with an encrypted key) or a trust anchor only.
public struct CARecord: Sendable {
    public var id: Int64
    public var name: String
    public var certificateDER: Data
    /// PEM of the certificates above this CA, up to and including the root.
    public var chainPEM: String
    public var encryptedKeyPEM: String?
    public var status: String
    public var createdAt: String

    public var certificate: Certificate { get throws { try Certificate(der: certificateDER) } }
    public var chain: [Certificate] { get throws { try Certificate.all(fromPEM: chainPEM) } }
    public var hasKey: Bool { encryptedKeyPEM != nil }
}

/// Per-label enrollment policy (RFC 7030 §3.2.2 label; Lamassu's "APS").
public struct Profile: Sendable, Equatable {
    /// nil for the default profile (`/.well-known/est/{op}`).
    public var label: String?
    public var issuer: String
    /// CAs whose certificates may authenticate a first enrollment.
    public var trust: [String] = []
    /// What /cacerts returns; empty means the issuer and its chain.
    public var cacerts: [String] = []
    public var validityDays: Int = 365
    /// Accepted key types (KeyType names, or `rsa`/`ec` for the family); empty means any allowed.
    public var keyTypes: [String] = []
    public var eku: [String] = ["clientAuth"]
    public var reenrollWindowDays: Int? = nil
    public var revokeOnReenroll: Bool = false
    public var serverKeygen: String? = nil
    public var serverKeygenEncrypt: Bool = false
    public var csrAttrs: [String] = []
    public var enforceCsrAttrs: Bool = false

    public init(label: String?, issuer: String) {
        self.label = label
        self.issuer = issuer
    }

    public var displayName: String { label ?? "(default)" }

    /// RFC 7030 §3.2.2 labels; ours: 1–64 of [A-Za-z0-9._-], not an operation name.
    public static func validate(label: String) throws {
        let allowed = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-")
        guard (1...64).contains(label.count), label.allSatisfy({ allowed.contains($0) }) else {
            throw CAError.badRequest("profile label must be 1-64 characters of [A-Za-z0-9._-]")
        }
        guard !Profile.operationNames.contains(label), label != ".", label != ".." else {
            throw CAError.badRequest("profile label '\(label)' is reserved")
        }
    }

    /// RFC 7030 §3.2.2 operation path segments (plus the full-CMC and well-known names).
    public static let operationNames: Set<String> = [
        "cacerts", "simpleenroll", "simplereenroll", "fullcmc", "serverkeygen", "csrattrs",
    ]
}

/// A certificate this store issued.
public struct IssuedCertificate: Sendable {
    public var id: Int64
    public var serial: String
    public var issuer: String
    public var profile: String?
    public var subject: String
    public var sans: String
    public var notBefore: String
    public var notAfter: String
    public var fingerprint: String
    public var der: Data
    /// `valid` or `revoked` as stored; see `effectiveStatus` for expiry.
    public var status: String
    public var revokedAt: String?
    public var revocationReason: String?
    public var replacesSerial: String?
    public var requester: String?
    public var issuedAt: String

    public func effectiveStatus(at now: Date = Date()) -> String {
        if status == "valid", let end = Timestamp.date(notAfter), end < now { return "expired" }
        return status
    }
}

/// One audit row: every EST request and every admin change leaves one.
public struct AuditEvent: Sendable {
    public var operation: String
    public var profile: String?
    public var client: String?
    public var status: Int?
    public var outcome: String
    public var reason: String
    public var serial: String?

    public init(operation: String, profile: String?, client: String?, status: Int?, outcome: String,
                reason: String = "", serial: String? = nil) {
        self.operation = operation
        self.profile = profile
        self.client = client
        self.status = status
        self.outcome = outcome
        self.reason = reason
        self.serial = serial
    }
}

/// RFC 5280 §5.3.1 reason codes, by their usual names.
public enum RevocationReason: String, CaseIterable, Sendable {
    case unspecified, keyCompromise, cACompromise, affiliationChanged, superseded,
         cessationOfOperation, certificateHold, removeFromCRL, privilegeWithdrawn, aACompromise
}
