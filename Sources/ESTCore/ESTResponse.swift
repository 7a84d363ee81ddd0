import Foundation

/// The answer: status, headers in the order written, body.
public struct ESTResponse: Sendable {
    public var status: Int
    public var headers: [(String, String)]
    public var body: Data

    public init(status: Int, headers: [(String, String)] = [], body: Data = Data()) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// A one-line text/plain error (the reason, then LF).
    public static func error(_ status: Int, _ reason: String, extraHeaders: [(String, String)] = []) -> ESTResponse {
        let line = reason.replacingASCII(where: { $0 == 0x0a || $0 == 0x0d }, with: 0x20)
        return ESTResponse(status: status, headers: [("Content-Type", "text/plain; charset=utf-8")] + extraHeaders,
                           body: Data((line + "\n").utf8))
    }

    public func header(_ name: String) -> String? {
        headers.first { $0.0.caseInsensitiveCompare(name) == .orderedSame }?.1
    }

    public static func reasonPhrase(_ status: Int) -> String {
        switch status {
        case 200: return "OK"
        case 202: return "Accepted"
        case 204: return "No Content"
        case 400: return "Bad Request"
        case 401: return "Unauthorized"
        case 403: return "Forbidden"
        case 404: return "Not Found"
        case 405: return "Method Not Allowed"
        case 408: return "Request Timeout"
        case 413: return "Payload Too Large"
        case 415: return "Unsupported Media Type"
        case 429: return "Too Many Requests"
        case 501: return "Not Implemented"
        case 503: return "Service Unavailable"
        default: return status >= 500 ? "Internal Server Error" : "Error"
        }
    }
}
