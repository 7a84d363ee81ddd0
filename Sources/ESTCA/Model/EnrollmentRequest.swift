import Foundation

/// A first enrollment held for an operator (RFC 7030 §4.2.3), identified by the SHA-256
/// of the CSR's DER with its profile, operation and the credentials that made it: the
/// client repeats the very request until it is approved (then signed) or rejected.
public struct EnrollmentRequest: Sendable {
    public enum Status: String, Sendable, CaseIterable {
        case pending, approved, rejected
        /// Approved and answered with a certificate: the approval is spent.
        case issued
    }

    public var id: Int64
    public var csrHash: String
    public var profile: String?
    /// simpleenroll or serverkeygen.
    public var operation: String
    /// The device the CSR names, as the profile's `--device-id` reads it.
    public var device: String?
    public var subject: String
    /// The CSR's key, e.g. `ec-p256` (for serverkeygen, the template's).
    public var keyType: String
    /// Who asked, as the audit names them.
    public var requester: String?
    /// Digest of the credentials that asked: only they may collect the certificate.
    public var requesterKey: String
    public var status: Status
    /// The operator's reason for a rejection.
    public var reason: String
    public var createdAt: String
    public var decidedAt: String?
    /// The certificate that answered it.
    public var serial: String?

    public init(id: Int64, csrHash: String, profile: String?, operation: String, device: String?, subject: String,
                keyType: String, requester: String?, requesterKey: String, status: Status, reason: String,
                createdAt: String, decidedAt: String?, serial: String?) {
        self.id = id
        self.csrHash = csrHash
        self.profile = profile
        self.operation = operation
        self.device = device
        self.subject = subject
        self.keyType = keyType
        self.requester = requester
        self.requesterKey = requesterKey
        self.status = status
        self.reason = reason
        self.createdAt = createdAt
        self.decidedAt = decidedAt
        self.serial = serial
    }

    public var profileName: String { profile ?? "(default)" }
}
