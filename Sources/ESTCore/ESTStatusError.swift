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
}

extension ESTStatusError {
    public var recordsAudit: Bool { true }
    public var responseHeaders: [(String, String)] { [] }
}
