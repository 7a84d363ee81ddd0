/// Why `HTTPClient` got no response. Each `description` is one line meant for logs and
/// audit; none includes response bytes (the peer's text is the caller's to bound and escape).
public enum HTTPClientError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Not an absolute http:// or https:// URL with a host (or too long, or with control bytes).
    case invalidURL(String)
    /// A header name that is not an RFC 9110 §5.6.2 token, or a value with CR, LF or NUL.
    case invalidHeader(String)
    /// A parameter out of range (a zero timeout, a negative limit).
    case invalidArgument(String)
    /// No complete response within the timeout (connect, TLS, sending and reading together).
    case timedOut(milliseconds: Int)
    /// The response body was longer than the limit; reading stopped there.
    case responseTooLarge(limit: Int)
    /// Connection refused, DNS, TLS verification, a client certificate that does not load...
    case transport(String)

    public var description: String {
        switch self {
        case .invalidURL(let why): return "invalid URL: \(why)"
        case .invalidHeader(let why): return "invalid header: \(why)"
        case .invalidArgument(let why): return "invalid argument: \(why)"
        case .timedOut(let ms): return "no answer within \(ms) ms"
        case .responseTooLarge(let limit): return "response body over \(limit) bytes"
        case .transport(let why): return why
        }
    }
}
