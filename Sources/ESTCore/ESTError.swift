/// A refusal decided by the protocol core itself (routing, methods, media types, the
/// RFC 7030 rules that need no store).
public struct ESTError: ESTStatusError, Equatable, CustomStringConvertible {
    public let httpStatus: Int
    public let reason: String
    /// Extra response headers (e.g. `Allow` on 405).
    public let headers: [String: String]

    public init(_ httpStatus: Int, _ reason: String, headers: [String: String] = [:]) {
        self.httpStatus = httpStatus
        self.reason = reason
        self.headers = headers
    }

    public static func badRequest(_ reason: String) -> ESTError { ESTError(400, reason) }
    public static func unauthorized(_ reason: String) -> ESTError { ESTError(401, reason) }
    public static func notFound(_ reason: String) -> ESTError { ESTError(404, reason) }

    public var responseHeaders: [(String, String)] { headers.sorted { $0.key < $1.key }.map { ($0.key, $0.value) } }

    public var description: String { reason }
}
