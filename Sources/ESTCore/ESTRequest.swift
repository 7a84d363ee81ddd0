import Foundation

/// One request as the web server handed it over: the CGI/FastCGI variables and the body.
public struct ESTRequest: Sendable {
    public var params: [String: String]
    public var body: Data
    /// True when the body was longer than the adapter's cap (and was cut).
    public var bodyTruncated: Bool

    public init(params: [String: String], body: Data = Data(), bodyTruncated: Bool = false) {
        self.params = params
        self.body = body
        self.bodyTruncated = bodyTruncated
    }

    public var method: String { params["REQUEST_METHOD"]?.uppercased() ?? "GET" }

    /// The request path, from the variables each web server sets reliably, in this order:
    /// DOCUMENT_URI (nginx: decoded, normalised), SCRIPT_NAME + PATH_INFO (Apache
    /// mod_proxy_fcgi and mod_fcgid), else REQUEST_URI percent-decoded without its query.
    public var path: String {
        if let uri = params["DOCUMENT_URI"], !uri.isEmpty { return uri }
        let script = params["SCRIPT_NAME"] ?? ""
        let info = params["PATH_INFO"] ?? ""
        if !script.isEmpty || !info.isEmpty { return script + info }
        let raw = params["REQUEST_URI"] ?? ""
        let noQuery = raw.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false).first.map(String.init) ?? ""
        return noQuery.removingPercentEncoding ?? noQuery
    }

    /// The media type of the body, lowercased, without parameters.
    public var contentType: String {
        let raw = params["CONTENT_TYPE"] ?? ""
        return raw.split(separator: ";", maxSplits: 1).first.map { $0.trimmingCharacters(in: .whitespaces).lowercased() } ?? ""
    }

    /// The TLS client certificate PEM, taken ONLY from the web server's SSL_CLIENT_CERT
    /// variable: Apache's PEM, or nginx's URL-escaped `$ssl_client_escaped_cert`. A client's
    /// own `SSL-Client-Cert` header arrives as HTTP_SSL_CLIENT_CERT and is never read.
    public var clientCertificatePEM: String? {
        guard let raw = params["SSL_CLIENT_CERT"]?.trimmingCharacters(in: .whitespacesAndNewlines), !raw.isEmpty else {
            return nil
        }
        if raw.contains("-----BEGIN") && !raw.contains("%") { return raw }
        return raw.removingPercentEncoding?.trimmingCharacters(in: .whitespacesAndNewlines)
    }
}

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
        let line = reason.replacingOccurrences(of: "\n", with: " ").replacingOccurrences(of: "\r", with: " ")
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
        case 413: return "Payload Too Large"
        case 415: return "Unsupported Media Type"
        case 501: return "Not Implemented"
        default: return status >= 500 ? "Internal Server Error" : "Error"
        }
    }
}
