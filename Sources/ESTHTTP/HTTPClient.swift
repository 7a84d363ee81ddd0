internal import CCurl

/// curl_global_init, run once per process before the first transfer (a global `let` is
/// initialised once, thread-safely, on first use).
private let curlGlobalInit: CURLcode = estfcgi_curl_global_init()

/// A small HTTP client over libcurl, for talking to an operator's own services (the
/// authorization hook, event notifications). Each call has an easy handle to itself (from
/// EasyHandlePool, which keeps connections open for the next call), so calls from any
/// number of threads are independent; a call blocks its thread until the answer, an error
/// or the timeout.
///
/// What it will not do: follow redirects (a 3xx is returned as it is), speak anything but
/// http and https, use a proxy from the environment (`http_proxy` and friends are ignored:
/// a hook's answer must come from the URL the operator configured), decompress, or read
/// more than `maxResponseBytes` of body.
public enum HTTPClient {
    /// The longest URL accepted.
    public static let maxURLLength = 2048
    /// The default limit on a response body.
    public static let defaultMaxResponseBytes = 64 * 1024

    /// POSTs `body` to `url` and returns the status and body.
    ///
    /// - Parameters:
    ///   - headers: sent in order; names must be tokens, values without CR/LF/NUL. Without a
    ///     `Content-Type` among them, `application/octet-stream` is sent.
    ///   - timeout: for the whole exchange (connecting, TLS, sending, reading).
    ///   - caFile: PEM file of the CAs that verify an https server (default: the system's).
    ///     The server's certificate and host name are always verified.
    ///   - clientCert, clientKey: PEM files of a client certificate and its unencrypted key,
    ///     for mutual TLS.
    public static func post(url: String, body: [UInt8], headers: [(name: String, value: String)] = [],
                            timeout: Duration, caFile: String? = nil, clientCert: String? = nil,
                            clientKey: String? = nil,
                            maxResponseBytes: Int = defaultMaxResponseBytes) throws(HTTPClientError) -> HTTPResponse {
        try checkURL(url)
        let milliseconds = try Self.milliseconds(timeout)
        guard maxResponseBytes >= 0 else { throw .invalidArgument("negative response limit") }
        var lines: [String] = []
        var hasContentType = false
        for (name, value) in headers {
            guard !name.isEmpty, name.utf8.allSatisfy(isTokenByte) else {
                throw .invalidHeader("name is not a token")
            }
            guard !value.utf8.contains(where: { $0 == 0x0D || $0 == 0x0A || $0 == 0 }) else {
                throw .invalidHeader("value of \(name) has CR, LF or NUL")
            }
            if name.lowercased() == "content-type" { hasContentType = true }
            lines.append("\(name): \(value)")
        }
        if !hasContentType { lines.append("Content-Type: application/octet-stream") }
        // No "Expect: 100-continue" round trip before a larger body.
        lines.append("Expect:")
        if let caFile, caFile.isEmpty || caFile.utf8.contains(0) { throw .invalidArgument("CA file name") }
        if let clientCert, clientCert.isEmpty || clientCert.utf8.contains(0) { throw .invalidArgument("client certificate file name") }
        if let clientKey, clientKey.isEmpty || clientKey.utf8.contains(0) { throw .invalidArgument("client key file name") }

        guard curlGlobalInit == CURLE_OK else { throw .transport("libcurl did not initialise") }
        // Outlives the handle (declared first, freed last): libcurl keeps the pointer.
        let errors = UnsafeMutablePointer<CChar>.allocate(capacity: Int(CURL_ERROR_SIZE) + 1)
        errors.initialize(repeating: 0, count: Int(CURL_ERROR_SIZE) + 1)
        defer { errors.deallocate() }
        guard let handle = EasyHandlePool.shared.take() else { throw .transport("libcurl: no easy handle") }
        defer { EasyHandlePool.shared.give(handle) }
        var list: UnsafeMutablePointer<curl_slist>? = nil
        defer { curl_slist_free_all(list) }
        for line in lines {
            guard let next = curl_slist_append(list, line) else { throw .transport("libcurl: out of memory") }
            list = next
        }
        let sink = ResponseSink(limit: maxResponseBytes)

        let code: CURLcode = withExtendedLifetime(sink) {
            do {
                var rc = CURLE_OK
                func set(_ r: CURLcode) { if rc == CURLE_OK { rc = r } }
                set(estfcgi_curl_setopt_long(handle, CURLOPT_NOSIGNAL, 1)) // no SIGALRM in a threaded server
                set(estfcgi_curl_setopt_pointer(handle, CURLOPT_ERRORBUFFER, errors))
                set(estfcgi_curl_setopt_string(handle, CURLOPT_URL, url))
                set(estfcgi_curl_setopt_string(handle, CURLOPT_PROTOCOLS_STR, "http,https"))
                set(estfcgi_curl_setopt_string(handle, CURLOPT_REDIR_PROTOCOLS_STR, "http,https"))
                set(estfcgi_curl_setopt_long(handle, CURLOPT_FOLLOWLOCATION, 0))
                set(estfcgi_curl_setopt_string(handle, CURLOPT_NOPROXY, "*"))
                set(estfcgi_curl_setopt_long(handle, CURLOPT_TIMEOUT_MS, milliseconds))
                set(estfcgi_curl_setopt_long(handle, CURLOPT_CONNECTTIMEOUT_MS, milliseconds))
                set(estfcgi_curl_setopt_long(handle, CURLOPT_SSL_VERIFYPEER, 1))
                set(estfcgi_curl_setopt_long(handle, CURLOPT_SSL_VERIFYHOST, 2))
                set(estfcgi_curl_setopt_string(handle, CURLOPT_USERAGENT, "estfcgi"))
                set(estfcgi_curl_setopt_off(handle, CURLOPT_MAXFILESIZE_LARGE, curl_off_t(maxResponseBytes)))
                if let caFile { set(estfcgi_curl_setopt_string(handle, CURLOPT_CAINFO, caFile)) }
                if let clientCert { set(estfcgi_curl_setopt_string(handle, CURLOPT_SSLCERT, clientCert)) }
                if let clientKey { set(estfcgi_curl_setopt_string(handle, CURLOPT_SSLKEY, clientKey)) }
                set(estfcgi_curl_setopt_slist(handle, CURLOPT_HTTPHEADER, list))
                set(estfcgi_curl_setopt_long(handle, CURLOPT_POST, 1))
                set(estfcgi_curl_setopt_off(handle, CURLOPT_POSTFIELDSIZE_LARGE, curl_off_t(body.count)))
                // COPYPOSTFIELDS copies POSTFIELDSIZE bytes now; a 1-byte buffer for an empty body.
                let payload = body.isEmpty ? [0] : body
                payload.withUnsafeBytes { raw in
                    set(estfcgi_curl_setopt_pointer(handle, CURLOPT_COPYPOSTFIELDS, UnsafeMutableRawPointer(mutating: raw.baseAddress)))
                }
                set(estfcgi_curl_setopt_write(handle, estHTTPWrite))
                set(estfcgi_curl_setopt_pointer(handle, CURLOPT_WRITEDATA, Unmanaged.passUnretained(sink).toOpaque()))
                guard rc == CURLE_OK else { return rc }
                return curl_easy_perform(handle)
            }
        }

        switch code {
        case CURLE_OK:
            var status = 0
            guard estfcgi_curl_response_code(handle, &status) == CURLE_OK, (100...999).contains(status) else {
                throw .transport("no HTTP status")
            }
            return HTTPResponse(status: status, body: sink.bytes)
        case CURLE_OPERATION_TIMEDOUT:
            throw .timedOut(milliseconds: milliseconds)
        case CURLE_WRITE_ERROR where sink.overflowed, CURLE_FILESIZE_EXCEEDED:
            throw .responseTooLarge(limit: maxResponseBytes)
        default:
            let detail = String(cString: errors)
            let summary = String(cString: curl_easy_strerror(code))
            throw .transport(oneLine(detail.isEmpty ? summary : "\(summary): \(detail)"))
        }
    }

    /// Throws unless `url` is an absolute http:// or https:// URL with a host, at most
    /// `maxURLLength` bytes, without spaces or control bytes (checked by libcurl's own parser,
    /// the one a transfer uses). For checking a URL when it is configured.
    public static func checkURL(_ url: String) throws(HTTPClientError) {
        guard url.utf8.count <= maxURLLength else { throw .invalidURL("longer than \(maxURLLength) bytes") }
        guard !url.utf8.contains(where: { $0 <= 0x20 || $0 == 0x7F }) else {
            throw .invalidURL("has a space or control character")
        }
        let lower = url.lowercased()
        guard lower.hasPrefix("http://") || lower.hasPrefix("https://") else {
            throw .invalidURL("not http:// or https://")
        }
        // libcurl reads "http:///x" as host "x"; an operator who wrote that meant something else.
        guard let authority = lower.split(separator: "://", maxSplits: 1).last, !authority.hasPrefix("/") else {
            throw .invalidURL("no host")
        }
        guard let parsed = curl_url() else { throw .transport("libcurl: out of memory") }
        defer { curl_url_cleanup(parsed) }
        guard curl_url_set(parsed, CURLUPART_URL, url, 0) == CURLUE_OK else { throw .invalidURL("does not parse") }
        var host: UnsafeMutablePointer<CChar>? = nil
        guard curl_url_get(parsed, CURLUPART_HOST, &host, 0) == CURLUE_OK, let host else {
            throw .invalidURL("no host")
        }
        defer { curl_free(host) }
        guard host.pointee != 0 else { throw .invalidURL("no host") }
    }

    private static func milliseconds(_ timeout: Duration) throws(HTTPClientError) -> Int {
        let (seconds, attoseconds) = timeout.components
        guard timeout > .zero, (0..<86_400).contains(seconds) else { throw .invalidArgument("timeout out of range") }
        // Round up: a positive timeout under 1 ms is 1 ms, not libcurl's "no timeout" 0.
        return Int(seconds) * 1000 + Int((attoseconds + 999_999_999_999_999) / 1_000_000_000_000_000)
    }

    /// RFC 9110 §5.6.2 tchar.
    private static func isTokenByte(_ b: UInt8) -> Bool {
        switch b {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
             UInt8(ascii: "0")...UInt8(ascii: "9"):
            return true
        default:
            return "!#$%&'*+-.^_`|~".utf8.contains(b)
        }
    }

    private static func oneLine(_ s: String) -> String {
        String(String.UnicodeScalarView(s.unicodeScalars.map { $0.value < 0x20 || $0.value == 0x7F ? " " : $0 }.prefix(300)))
    }
}
