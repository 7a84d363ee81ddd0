import Foundation

/// A request to hold for approval, as the store records it (see `EnrollmentRequest`).
public struct NewEnrollmentRequest: Sendable {
    public var csrHash: String
    public var profile: String?
    public var operation: String
    public var device: String?
    public var subject: String
    public var keyType: String
    public var requester: String?
    public var requesterKey: String
    /// The CSR itself, for the operator to inspect (`estfcgi request show`).
    public var csrDER: Data

    public init(csrHash: String, profile: String?, operation: String, device: String?, subject: String, keyType: String,
                requester: String?, requesterKey: String, csrDER: Data) {
        self.csrHash = csrHash
        self.profile = profile
        self.operation = operation
        self.device = device
        self.subject = subject
        self.keyType = keyType
        self.requester = requester
        self.requesterKey = requesterKey
        self.csrDER = csrDER
    }
}
