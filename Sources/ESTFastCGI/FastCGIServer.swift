import CFastCGI
import ESTCore
import Foundation

/// Moves bytes between libfcgi and the EST core; decides nothing itself.
public final class FastCGIServer: @unchecked Sendable {
    public struct Options: Sendable {
        public var workers: Int = 2
        /// Also send each log line as a FastCGI stderr record (into the web server's error log).
        public var logToWebServer: Bool = false
        public init() {}
    }

    let listenFD: Int32
    let options: Options
    let makeService: @Sendable () throws -> ESTService

    /// `makeService` runs once per worker thread: each gets its own store connection.
    public init(listenFD: Int32, options: Options, makeService: @escaping @Sendable () throws -> ESTService) {
        self.listenFD = listenFD
        self.options = options
        self.makeService = makeService
    }

    /// A listening socket: `spec` is a unix socket path or `host:port`.
    public static func openSocket(_ spec: String, unixMode: mode_t) throws -> Int32 {
        // libfcgi's rule: a spec with a ':' is host:port, anything else a unix socket path.
        let isUnix = !spec.contains(":")
        if isUnix {
            // A stale socket file from an earlier run would make bind() fail.
            var st = stat()
            if lstat(spec, &st) == 0, (st.st_mode & S_IFMT) == S_IFSOCK { unlink(spec) }
        }
        guard FCGX_Init() == 0 else { throw ServeError("FCGX_Init failed") }
        let fd = FCGX_OpenSocket(spec, 128)
        guard fd >= 0 else { throw ServeError("cannot listen on \(spec): \(String(cString: strerror(errno)))") }
        if isUnix {
            // The socket is the trust boundary: whoever can write to it can claim any client
            // certificate. Restrict it to the web server's group.
            chmod(spec, unixMode)
        }
        return fd
    }

    /// fd 0 when it is a listening socket handed over by spawn-fcgi or mod_fcgid.
    public static func inheritedSocket() throws -> Int32 {
        guard FCGX_Init() == 0 else { throw ServeError("FCGX_Init failed") }
        guard FCGX_IsCGI() == 0 else {
            throw ServeError("no listen socket: pass --socket PATH or --listen HOST:PORT, or start under spawn-fcgi or mod_fcgid")
        }
        return 0
    }

    /// Serves until SIGTERM or SIGINT, then lets requests in flight finish and returns.
    public func run() throws {
        signal(SIGPIPE, SIG_IGN)
        // Block the stop signals in every thread; this one waits for them with sigwait.
        var stopSignals = sigset_t()
        sigemptyset(&stopSignals)
        sigaddset(&stopSignals, SIGTERM)
        sigaddset(&stopSignals, SIGINT)
        pthread_sigmask(SIG_BLOCK, &stopSignals, nil)

        // Open every worker's store before accepting anything: a bad --db fails at start.
        var services: [ESTService] = []
        for _ in 0..<max(1, options.workers) { services.append(try makeService()) }

        let group = DispatchGroup()
        for (i, service) in services.enumerated() {
            group.enter()
            let worker = Worker(server: self, service: service)
            let thread = Thread {
                worker.loop()
                group.leave()
            }
            thread.name = "estfcgi-worker-\(i)"
            thread.stackSize = 1 << 20
            thread.start()
        }
        log("estfcgi: serving with \(services.count) worker(s)")

        var received: Int32 = 0
        sigwait(&stopSignals, &received)
        log("estfcgi: signal \(received), finishing requests in flight")
        FCGX_ShutdownPending()
        // Wakes every thread blocked in accept(); requests being handled are unaffected.
        shutdown(listenFD, Int32(SHUT_RDWR))
        group.wait()
        log("estfcgi: stopped")
    }

    func log(_ line: String) {
        let text = line + "\n"
        text.withCString { _ = write(2, $0, strlen($0)) }
    }
}

public struct ServeError: Error, CustomStringConvertible {
    public let description: String
    init(_ d: String) { description = d }
}

/// One request loop on its own thread, with its own FCGX_Request and service.
final class Worker: @unchecked Sendable {
    let server: FastCGIServer
    let service: ESTService

    init(server: FastCGIServer, service: ESTService) {
        self.server = server
        self.service = service
    }

    func loop() {
        guard let req = estfcgi_request_new() else { return }
        defer { estfcgi_request_free(req) }
        guard FCGX_InitRequest(req, server.listenFD, 0) == 0 else { return }
        while FCGX_Accept_r(req) >= 0 {
            handle(req)
            FCGX_Finish_r(req)
        }
        FCGX_Free(req, 1)
    }

    private func handle(_ req: UnsafeMutablePointer<FCGX_Request>) {
        let params = readParams(req.pointee.envp)
        let (body, truncated) = readBody(req.pointee.in, declaredLength: params["CONTENT_LENGTH"])
        let outcome = service.handle(ESTRequest(params: params, body: body, bodyTruncated: truncated))
        write(outcome.response, to: req.pointee.out)
        server.log(outcome.logLine)
        if server.options.logToWebServer { put(outcome.logLine + "\n", req.pointee.err) }
    }

    private func readParams(_ envp: FCGX_ParamArray?) -> [String: String] {
        var params: [String: String] = [:]
        guard var p = envp else { return params }
        while let entry = p.pointee {
            let s = String(cString: entry)
            if let eq = s.firstIndex(of: "=") {
                let key = String(s[..<eq])
                // libfcgi answers the first of duplicated names; keep the same rule.
                if params[key] == nil { params[key] = String(s[s.index(after: eq)...]) }
            }
            p += 1
        }
        return params
    }

    /// Reads at most the cap plus one byte, so an oversized body is detected without
    /// holding it; with no CONTENT_LENGTH (chunked upload via Apache) reads to EOF.
    private func readBody(_ stream: UnsafeMutablePointer<FCGX_Stream>?, declaredLength: String?) -> (Data, Bool) {
        let cap = ESTService.maxBodyBytes
        let declared = declaredLength.flatMap { Int($0.trimmingCharacters(in: .whitespaces)) }
        if let declared, declared > cap { return (Data(), true) }
        let want = min(declared ?? (cap + 1), cap + 1)
        guard want > 0, let stream else { return (Data(), false) }
        var buffer = [UInt8](repeating: 0, count: want)
        var got = 0
        while got < want {
            let n = buffer.withUnsafeMutableBufferPointer { buf in
                buf.baseAddress!.withMemoryRebound(to: CChar.self, capacity: want) {
                    FCGX_GetStr($0 + got, Int32(want - got), stream)
                }
            }
            if n <= 0 { break }
            got += Int(n)
        }
        return (Data(buffer.prefix(got)), got > cap)
    }

    /// CGI response: `Status:` line, headers, Content-Length, blank line, body.
    private func write(_ r: ESTResponse, to stream: UnsafeMutablePointer<FCGX_Stream>?) {
        var head = "Status: \(r.status) \(ESTResponse.reasonPhrase(r.status))\r\n"
        for (name, value) in r.headers { head += "\(name): \(value)\r\n" }
        // RFC 9110 §8.6: no Content-Length on 204; every other answer carries one.
        if r.status != 204 { head += "Content-Length: \(r.body.count)\r\n" }
        head += "\r\n"
        put(head, stream)
        r.body.withUnsafeBytes { buf in
            if let base = buf.baseAddress, buf.count > 0 {
                _ = FCGX_PutStr(base.assumingMemoryBound(to: CChar.self), Int32(buf.count), stream)
            }
        }
    }

    private func put(_ s: String, _ stream: UnsafeMutablePointer<FCGX_Stream>?) {
        var bytes = Array(s.utf8)
        bytes.withUnsafeMutableBufferPointer { buf in
            guard let base = buf.baseAddress, buf.count > 0 else { return }
            base.withMemoryRebound(to: CChar.self, capacity: buf.count) {
                _ = FCGX_PutStr($0, Int32(buf.count), stream)
            }
        }
    }
}
