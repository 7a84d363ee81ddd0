import ESTCore

/// Why an operation was refused. Each case carries its EST answer (ESTStatusError), so
/// the protocol core maps it without knowing this type; the CLI prints the reason.
/// Reasons are one line and never contain key material.
public enum CAError: Error, CustomStringConvertible, Equatable, ESTStatusError {
    /// 404: no such profile (or CA, certificate) in the store.
    case notFound(String)
    /// 401: authentication is required and none was presented.
    case unauthenticated(String)
    /// 403: credentials presented but not authorised.
    case forbidden(String)
    /// 403: a client certificate that does not authenticate anyone (no chain to a trusted
    /// CA, not an end-entity TLS client certificate, not issued here): not audited.
    case untrusted(String)
    /// 400: the request itself is unacceptable (malformed CSR, forbidden key, ...).
    case badRequest(String)
    /// 429: this client already has such a request running.
    case tooManyRequests(String)
    /// 503: a bounded resource is exhausted for now (key generation, a full store); retry later.
    case unavailable(String)
    /// Operator-side misconfiguration or store failure (500 over EST).
    case internalFailure(String)
    /// 202: held for an operator's approval; the client repeats the request after
    /// `retryAfter` seconds (RFC 7030 §4.2.3).
    case pending(String, retryAfter: Int)

    public var reason: String {
        switch self {
        case .notFound(let r), .unauthenticated(let r), .forbidden(let r), .untrusted(let r), .badRequest(let r), .tooManyRequests(let r),
             .unavailable(let r), .internalFailure(let r), .pending(let r, _):
            return r
        }
    }

    public var httpStatus: Int {
        switch self {
        case .notFound: return 404
        case .unauthenticated: return 401
        case .forbidden, .untrusted: return 403
        case .badRequest: return 400
        case .tooManyRequests: return 429
        case .unavailable: return 503
        case .internalFailure: return 500
        case .pending: return 202
        }
    }

    /// As `httpStatus` says, except that an unauthenticating certificate is told apart.
    public var kind: String {
        if case .untrusted = self { return "untrusted" }
        return ESTStatusKind.name(httpStatus)
    }

    public var responseHeaders: [(String, String)] {
        if case .pending(_, let seconds) = self { return [("Retry-After", String(seconds))] }
        return []
    }

    public var recordsAudit: Bool {
        if case .untrusted = self { return false }
        return true
    }

    public var description: String { reason }

    /// The refusal of a client certificate revoked for `reason`. Superseded means replaced
    /// by a re-enrollment (RFC 7030 §4.2.2), perhaps one that committed a moment ago: the
    /// loser of two re-enrollments at once hears "already renewed" whichever check saw it.
    public static func revokedClient(_ reason: RevocationReason?) -> CAError {
        .forbidden(reason == .superseded ? "certificate already renewed" : "client certificate is revoked")
    }
}
