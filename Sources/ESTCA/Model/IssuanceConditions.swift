/// What must still hold when an issued certificate is recorded: each is checked again in
/// the transaction that records it (`CAStore.recordIssued`).
public struct IssuanceConditions: Sendable {
    /// The certificate a re-enrollment replaces: it must still be valid.
    public var replacing: IssuedCertificate?
    /// Revoke `replacing` as superseded in the same transaction.
    public var revokeReplaced: Bool
    /// Refuse when the profile already holds this many certificates from the same
    /// bootstrap certificate (`NewCertificate.requesterKey`).
    public var bootstrapLimit: Int?
    /// The device the certificate is for, when the profile keeps a registry or the device is known.
    public var device: DeviceClaim?
    /// The approved request (RFC 7030 §4.2.3) this issuance answers: it must still be approved.
    public var approvedRequest: Int64?

    public init(replacing: IssuedCertificate? = nil, revokeReplaced: Bool = false, bootstrapLimit: Int? = nil,
                device: DeviceClaim? = nil, approvedRequest: Int64? = nil) {
        self.replacing = replacing
        self.revokeReplaced = revokeReplaced
        self.bootstrapLimit = bootstrapLimit
        self.device = device
        self.approvedRequest = approvedRequest
    }
}
