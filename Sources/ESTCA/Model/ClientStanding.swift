/// What the store holds against a client certificate, by its serial and fingerprint: the
/// issued certificates of that serial that are revoked here, and the bootstrap denials
/// naming it, each with the CA that issued it. Read in one statement on every request
/// that presents the certificate (the chain verdict may be cached; this never is).
public struct ClientStanding: Sendable {
    /// Revoked certificates of this serial: the issuing CA's name and the reason, oldest first.
    public var revoked: [(issuer: String, reason: RevocationReason?)]
    /// The issuing CAs of the denials naming this serial or fingerprint.
    public var deniedBy: [String]

    public init(revoked: [(issuer: String, reason: RevocationReason?)] = [], deniedBy: [String] = []) {
        self.revoked = revoked
        self.deniedBy = deniedBy
    }
}
