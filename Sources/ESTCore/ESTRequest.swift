import Foundation

/// One request as the web server handed it over: the CGI/FastCGI variables and the body.
public struct ESTRequest: Sendable {
    public var params: [String: String]
    public var body: Data
    /// True when the body was longer than the adapter's cap (and was cut).
    public var bodyTruncated: Bool
    /// True when the body did not arrive within the adapter's deadline.
    public var bodyTimedOut: Bool

    public init(params: [String: String], body: Data = Data(), bodyTruncated: Bool = false, bodyTimedOut: Bool = false) {
        self.params = params
        self.body = body
        self.bodyTruncated = bodyTruncated
        self.bodyTimedOut = bodyTimedOut
    }

    /// CONTENT_LENGTH when the web server gave a usable one.
    public var declaredLength: Int? {
        guard let raw = params["CONTENT_LENGTH"] else { return nil }
        // Digits alone, as web servers send it, need no trimming (Foundation's, per request).
        let value = raw.utf8.allSatisfy({ (0x30...0x39).contains($0) }) ? Int(raw) : Int(raw.trimmingCharacters(in: .whitespaces))
        return value.flatMap { $0 >= 0 ? $0 : nil }
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

    /// The OCSP GET form's request (RFC 6960 Appendix A.1: base64, then URL-encoded), as the
    /// client sent it. Base64 holds '/' and '+', and a '//' is likely in a long request; nginx's
    /// DOCUMENT_URI is decoded and merges slashes, so the segment is cut from the raw
    /// REQUEST_URI, below `/.well-known/est/ocsp/` or below the location's
    /// ESTFCGI_OCSP_PREFIX (a short URL the web server maps to the responder, e.g. `/ocsp`).
    /// Without a raw URI that starts with either, it falls back to `path` (which may have
    /// lost a slash: the request then fails to parse, it is never misread as another).
    public var ocspGETSegment: String {
        let raw = params["REQUEST_URI"] ?? ""
        let rawPath = raw.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false).first.map(String.init) ?? ""
        var prefixes = [Route.ocspPath + "/"]
        if let short = params["ESTFCGI_OCSP_PREFIX"], !short.isEmpty {
            prefixes.append(short.hasSuffix("/") ? short : short + "/")
        }
        for prefix in prefixes where rawPath.hasPrefix(prefix) { return String(rawPath.dropFirst(prefix.count)) }
        let decoded = path
        return decoded.hasPrefix(Route.ocspPath + "/") ? String(decoded.dropFirst(Route.ocspPath.count + 1)) : ""
    }

    /// The media type of the body, lowercased, without parameters.
    public var contentType: String {
        let raw = params["CONTENT_TYPE"] ?? ""
        // A bare lowercase type (what EST clients send) is its own media type.
        if raw.utf8.allSatisfy({ (0x61...0x7a).contains($0) || (0x30...0x39).contains($0) || "/-+.".utf8.contains($0) }) { return raw }
        return raw.split(separator: ";", maxSplits: 1).first.map { $0.trimmingCharacters(in: .whitespaces).lowercased() } ?? ""
    }

    /// The user the web server's HTTP authentication accepted (RFC 3875 §4.1.11), only
    /// when it also says how it authenticated them (AUTH_TYPE, §4.1.1). Apache sets both
    /// after `AuthType Basic`. nginx sets neither by itself: Debian's `fastcgi_params`
    /// passes `$remote_user` in every location, read from the client's Authorization
    /// header whether or not `auth_basic` checked it, so only a location that does
    /// `auth_basic` may add `fastcgi_param AUTH_TYPE Basic`. The Authorization header
    /// itself (HTTP_AUTHORIZATION) is never read.
    public var remoteUser: String? {
        guard let user = params["REMOTE_USER"], !user.isEmpty, let type = params["AUTH_TYPE"], !type.isEmpty else { return nil }
        return user
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
