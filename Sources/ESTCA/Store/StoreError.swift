/// Why the store refused or failed an operation, in the store's terms. The store knows
/// rows, not HTTP: the authority answers each case as a CAError with its status
/// (`CAError(_:)`), and `CertificateAuthority` does so for every store call it makes.
public enum StoreError: Error, CustomStringConvertible, Equatable, Sendable {
    /// No such row (CA, profile, device, request, denial).
    case notFound(String)
    /// The row exists already, or is already in the state asked for.
    case conflict(String)
    /// A check the recording transaction makes again refused it: what the request was
    /// authorised on changed meanwhile (a bootstrap certificate's uses, the device registry,
    /// an approval).
    case refused(String)
    /// The certificate being replaced was revoked meanwhile: superseded is a re-enrollment
    /// that committed first (RFC 7030 §4.2.2).
    case revokedClient(RevocationReason?)
    /// These credentials already leave too many requests waiting for an operator.
    case tooManyRequests(String)
    /// The store cannot answer now and a retry may succeed: full, busy, unreachable, stopping.
    case unavailable(String)
    /// The store failed: a damaged row (naming its column), a constraint, an engine error.
    case failed(String)

    public var description: String {
        switch self {
        case .notFound(let r), .conflict(let r), .refused(let r), .tooManyRequests(let r), .unavailable(let r), .failed(let r):
            return r
        case .revokedClient(let reason):
            return reason == .superseded ? "certificate already renewed" : "client certificate is revoked"
        }
    }
}
