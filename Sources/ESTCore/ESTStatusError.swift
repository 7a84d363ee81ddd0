/// An error that knows how EST answers it: an HTTP status and a one-line reason, in the
/// manner of globalsign/est's errors. The authority's errors conform, so the core maps
/// them without knowing the authority's types.
public protocol ESTStatusError: Error {
    var httpStatus: Int { get }
    /// One line, never key material. For 5xx it goes to the audit and log, not the client.
    var reason: String { get }
    /// False for a refusal that no one authenticated earned (a client certificate that
    /// does not chain to a trusted CA costs nothing to make): logged, not audited, so that
    /// it cannot grow the store. True by default.
    var recordsAudit: Bool { get }
    /// Headers the answer carries (e.g. Allow on 405, Retry-After on 202). None by default.
    var responseHeaders: [(String, String)] { get }
    /// A name from a closed set for what kind of refusal this is (metrics, statistics):
    /// by default the status's (`forbidden`, `bad_request`, ...), never client text.
    var kind: String { get }
}

extension ESTStatusError {
    public var recordsAudit: Bool { true }
    public var responseHeaders: [(String, String)] { [] }
    public var kind: String { ESTStatusKind.name(httpStatus) }
}

/// The names of refusals by HTTP status.
public enum ESTStatusKind {
    public static func name(_ status: Int) -> String {
        switch status {
        case 202: return "pending"
        case 400: return "bad_request"
        case 401: return "unauthenticated"
        case 403: return "forbidden"
        case 404: return "not_found"
        case 405: return "method_not_allowed"
        case 408: return "timeout"
        case 413: return "too_large"
        case 415: return "unsupported_media_type"
        case 429: return "too_many_requests"
        case 501: return "not_implemented"
        case 503: return "unavailable"
        default: return status >= 500 ? "internal" : "other"
        }
    }
}
