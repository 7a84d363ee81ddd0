/// Why an operation was refused. The EST core maps each case to one HTTP status;
/// the CLI prints the reason. Reasons are one line and never contain key material.
public enum CAError: Error, CustomStringConvertible, Equatable {
    /// 404: no such profile (or CA, certificate) in the store.
    case notFound(String)
    /// 401: authentication is required and none was presented.
    case unauthenticated(String)
    /// 403: credentials presented but not authorised.
    case forbidden(String)
    /// 400: the request itself is unacceptable (malformed CSR, forbidden key, ...).
    case badRequest(String)
    /// Operator-side misconfiguration or store failure (500 over EST).
    case internalFailure(String)

    public var reason: String {
        switch self {
        case .notFound(let r), .unauthenticated(let r), .forbidden(let r), .badRequest(let r), .internalFailure(let r):
            return r
        }
    }

    public var description: String { reason }
}
