internal import CFastCGI
import ESTCore
import Foundation

/// Classic CGI (RFC 3875): the web server starts the program once per request, with the
/// request's variables in the environment and its body on fd 0, and reads the answer from
/// fd 1. The same `ESTService` answers as under FastCGI; only the transport differs.
public enum CGIAdapter {
    /// How long the body may take, as `serve --read-timeout`'s default (then 408).
    public static let readTimeoutSeconds = 10

    /// The request's variables when this process was started as a CGI program, else nil.
    /// The environment is read as libfcgi reads FastCGI parameters (the first of a
    /// duplicated name wins, as nginx's `fastcgi_param` order and fcgiwrap pass them on).
    /// libfcgi is asked only when the environment looks like CGI: FCGX_IsCGI() then tells
    /// a CGI's fd 0 (a pipe or a connected socket) from the listen socket that spawn-fcgi
    /// and mod_fcgid hand to `estfcgi serve`.
    public static func invocation(arguments: [String]) -> [String: String]? {
        let params = FastCGIParams.parse(estfcgi_environ())
        guard isCGIRequest(params, arguments: arguments) else { return nil }
        guard FCGX_Init() == 0, FCGX_IsCGI() != 0 else { return nil }
        return params
    }

    /// Whether the variables are those of a CGI request: GATEWAY_INTERFACE `CGI/...` and a
    /// REQUEST_METHOD. A CGI program gets no arguments, except the words of an ISINDEX
    /// query (a QUERY_STRING without `=`, RFC 3875 §4.4); any other argument is a command.
    public static func isCGIRequest(_ params: [String: String], arguments: [String]) -> Bool {
        guard params["GATEWAY_INTERFACE"]?.hasPrefix("CGI/") == true,
              let method = params["REQUEST_METHOD"], !method.isEmpty else { return false }
        if arguments.isEmpty { return true }
        let query = params["QUERY_STRING"] ?? ""
        return !query.isEmpty && !query.contains("=")
    }

    /// Answers the one request: body from fd 0, the CGI response on fd 1, the log line on
    /// fd 2 (the web server's error log). Returns the exit status: 0 once the whole answer
    /// was written.
    public static func run(params: [String: String], service: ESTService) -> Int32 {
        signal(SIGPIPE, SIG_IGN)  // a web server that went away is a failed write, not a kill
        let deadline = ContinuousClock.now + .seconds(readTimeoutSeconds)
        var consumed = 0
        var reachedEOF = false
        let outcome = respond(params: params, service: service, deadline: deadline) { wanted, deadline in
            let chunk = readAvailable(fd: 0, upTo: wanted, until: deadline)
            consumed += chunk?.count ?? 0
            if chunk?.isEmpty == true { reachedEOF = true }
            return chunk
        }
        // A web server that writes the body to the program before it reads the answer
        // (mod_cgid, fcgiwrap) loses the answer when the program exits with the body
        // unread: what a refusal did not read, or what lay beyond the cap, is read and
        // dropped (up to `drainCap` and the same deadline), never parsed.
        let head = ESTRequest(params: params)
        var left: Int? = nil
        if let declared = head.declaredLength { left = max(0, declared - consumed) }
        else if reachedEOF || !["POST", "PUT"].contains(head.method) { left = 0 }
        let drained = drain(fd: 0, left: left, cap: drainCap, until: deadline)
        // The answer is built whole before the first byte goes out: never half an answer.
        let written = writeAll(fd: 1, CGIResponse.encode(outcome.response))
        var line = outcome.logLine
        if !written { line += " (answer not delivered: \(String(cString: strerror(errno))))" }
        else if !drained { line += " (request body not read to its end: the web server may drop the answer)" }
        writeAll(fd: 2, Array((line + "\n").utf8))
        return written ? 0 : 1
    }

    /// The most a refused or oversized body is read for nothing: nginx's
    /// `client_max_body_size` and Apache's `LimitRequestBody` in the shipped configs.
    static let drainCap = 1 << 20

    /// Reads and drops `left` more bytes (nil: up to EOF) from `fd`, at most `cap`, until
    /// `deadline`; true when nothing is left unread.
    static func drain(fd: Int32, left: Int?, cap: Int, until deadline: ContinuousClock.Instant) -> Bool {
        var left = left
        var dropped = 0
        while left != 0 {
            if dropped >= cap { return false }
            guard let chunk = readAvailable(fd: fd, upTo: min(65536, left ?? 65536, cap - dropped), until: deadline) else { return false }
            if chunk.isEmpty { return true }
            dropped += chunk.count
            left = left.map { $0 - chunk.count }
        }
        return true
    }

    /// The exchange of `Worker.handle`, with the body read by `read` (see Exchange.answer).
    static func respond(params: [String: String], service: ESTService, deadline: ContinuousClock.Instant,
                        read: (Int, ContinuousClock.Instant) -> [UInt8]?) -> ESTOutcome {
        Exchange.answer(params: params, service: service, deadline: deadline, read: read)
    }

    /// Up to `n` bytes from `fd` once it has some: empty at EOF (or on a read error), nil
    /// when nothing arrived before `deadline`.
    static func readAvailable(fd: Int32, upTo n: Int, until deadline: ContinuousClock.Instant) -> [UInt8]? {
        while true {
            let left = deadline - ContinuousClock.now
            if left <= .zero { return nil }
            let ms = left.components.seconds * 1000 + left.components.attoseconds / 1_000_000_000_000_000 + 1
            var p = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            let ready = poll(&p, 1, Int32(clamping: ms))
            if ready < 0 {
                if errno == EINTR { continue }
                return []
            }
            if ready == 0 { continue }  // the loop's deadline check decides
            var buffer = [UInt8](repeating: 0, count: max(1, n))
            let got = buffer.withUnsafeMutableBytes { Foundation.read(fd, $0.baseAddress, $0.count) }
            if got < 0 && errno == EINTR { continue }
            return got > 0 ? Array(buffer.prefix(got)) : []
        }
    }

    /// Writes all of `bytes` to `fd`; false when the descriptor refused them.
    @discardableResult
    static func writeAll(fd: Int32, _ bytes: [UInt8]) -> Bool {
        var offset = 0
        while offset < bytes.count {
            let n = bytes.withUnsafeBytes { Foundation.write(fd, $0.baseAddress! + offset, bytes.count - offset) }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { return false }
            offset += n
        }
        return true
    }
}
