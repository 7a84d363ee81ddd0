internal import CFastCGI
import ESTCore
import Foundation

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
        while true {
            let rc = FCGX_Accept_r(req)
            if rc >= 0 {
                handle(req)
                FCGX_Finish_r(req)
                continue
            }
            if server.stopping.load(ordering: .sequentiallyConsistent) { break }
            // accept() timed out on an idle listener (SO_RCVTIMEO), or a connection failed
            // before its request was read: accept the next one. Anything else (e.g. out of
            // descriptors) is logged and retried after a pause rather than ending the worker.
            if rc != -EAGAIN && rc != -EWOULDBLOCK && rc != -EINTR {
                server.log("estfcgi: accept failed (\(String(cString: strerror(-rc)))); retrying")
                usleep(100_000)
            }
        }
        FCGX_Free(req, 1)
    }

    private func handle(_ req: UnsafeMutablePointer<FCGX_Request>) {
        let input = req.pointee.in
        let params = FastCGIParams.parse(req.pointee.envp)
        let declared = ESTRequest(params: params).declaredLength
        if let metrics = MetricsEndpoint.answer(params: params, metrics: server.metrics) {
            put(CGIResponse.encode(metrics), req.pointee.out)
            if req.pointee.keepConnection != 0 { keepOrClose(req, bodyRead: 0, declared: declared) }
            return
        }
        let started = ContinuousClock.now
        var bodyRead = 0
        let outcome = Exchange.answer(params: params, service: service,
                                      deadline: .now + .seconds(server.options.readTimeoutSeconds)) { wanted, _ in
            // What libfcgi already holds, or one byte: FCGX_GetStr blocks until it has all
            // it was asked for, which would let a trickling client outlast the deadline (the
            // socket's receive timeout bounds each wait).
            let buffered = input.map { $0.pointee.stop - $0.pointee.rdNext } ?? 0
            let n = max(1, min(wanted, buffered))
            var buffer = [UInt8](repeating: 0, count: n)
            let got = buffer.withUnsafeMutableBufferPointer { buf in
                buf.baseAddress!.withMemoryRebound(to: CChar.self, capacity: n) { FCGX_GetStr($0, Int32(n), input) }
            }
            bodyRead += max(0, Int(got))
            return got > 0 ? Array(buffer.prefix(Int(got))) : []
        }
        put(CGIResponse.encode(outcome.response), req.pointee.out)
        if req.pointee.keepConnection != 0 {
            keepOrClose(req, bodyRead: bodyRead, declared: declared)
        } else if Self.requestEnded(req, bodyRead: bodyRead, declared: declared) {
            FCGX_Detach(req)  // FCGX_Finish_r then closes without lingering (see requestEnded)
        }
        let elapsed = ContinuousClock.now - started
        server.metrics.record(outcome, seconds: Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18)
        server.log(outcome.logLine)
        if server.options.logToWebServer { put(Array((outcome.logLine + "\n").utf8), req.pointee.err) }
    }

    /// Whether the web server has sent all it will on this connection and nothing of it is
    /// unread, so that closing it cannot lose the answer. libfcgi's close lingers (shutdown
    /// of the sending side, then reads until the web server closes, up to 2 s) so that bytes
    /// still arriving cannot reset the connection before the server has read the answer;
    /// per enrollment that cost a shutdown, a read and a poll waiting on nginx. It stays for
    /// every request that is not known to have ended: a refused body left unread, a kept
    /// connection (FCGI_KEEP_CONN), a body of unknown length. The request ended when its
    /// FCGI_STDIN stream ended (the empty record, FastCGI 1.0 §6.2, which nginx and Apache
    /// send with the body's last bytes) after a body read to its CONTENT_LENGTH, and nothing
    /// (an FCGI_ABORT_REQUEST) waits in the socket.
    static func requestEnded(_ req: UnsafeMutablePointer<FCGX_Request>, bodyRead: Int, declared: Int?) -> Bool {
        guard req.pointee.keepConnection == 0, let input = req.pointee.in, let declared, bodyRead == declared else { return false }
        // The end of the stream: read from what libfcgi holds, or from the socket, where it
        // follows the body's last bytes. nginx and Apache send it with them; a client that
        // sends it late or never must not hold the answer (it is sent only after this) for
        // the socket's receive timeout, --read-timeout inherited from the listener, past the
        // body's own deadline: wait briefly, then close lingering as before. The connection
        // is not kept, so the shortened timeout ends with it.
        var brief = timeval(tv_sec: 0, tv_usec: 100_000)
        _ = setsockopt(req.pointee.ipcFd, SOL_SOCKET, SO_RCVTIMEO, &brief, socklen_t(MemoryLayout<timeval>.size))
        guard FCGX_GetChar(input) == EOF, FCGX_HasSeenEOF(input) == EOF, FCGX_GetError(input) == 0 else { return false }
        switch peek(req.pointee.ipcFd) {
        case .empty, .closed: return true
        case .waiting, .failed: return false
        }
    }

    /// What a socket holds now, without waiting or reading it.
    enum SocketPeek { case empty, closed, waiting, failed }
    static func peek(_ fd: Int32) -> SocketPeek {
        var byte: UInt8 = 0
        let n = recv(fd, &byte, 1, Int32(MSG_PEEK | MSG_DONTWAIT))
        if n > 0 { return .waiting }
        if n == 0 { return .closed }
        return errno == EAGAIN || errno == EWOULDBLOCK ? .empty : .failed
    }

    /// A kept connection stays kept only when the request's stream was read to its end;
    /// else FCGX_Finish_r closes it (lingering) rather than keeps it.
    private func keepOrClose(_ req: UnsafeMutablePointer<FCGX_Request>, bodyRead: Int, declared: Int?) {
        if !Self.drainedForNextRequest(req, bodyRead: bodyRead, declared: declared, cap: ESTService.maxBodyBytes,
                                       timeoutSeconds: server.options.readTimeoutSeconds) {
            req.pointee.keepConnection = 0
        }
    }

    /// Whether a kept connection (FCGI_KEEP_CONN, FastCGI 1.0 §5.1) may carry the next
    /// request: libfcgi reads the next FCGI_BEGIN_REQUEST from where this request's records
    /// stop, so FCGI_STDIN records left unread (a body refused before it was read: 401, 413,
    /// 415) would be taken for the start of the next request, and the connection dropped
    /// with that request unanswered. What is left of the stream is read and discarded up to
    /// its end, at most `cap` bytes and `timeoutSeconds` (each wait bounded by the time left);
    /// past either, or on an error, false: the connection is closed after this answer, and
    /// the web server opens another for the next request. A body read to its
    /// CONTENT_LENGTH whose empty end record has not arrived is not waited for (a raw client
    /// may never send it): only what is already in the socket is read.
    static func drainedForNextRequest(_ req: UnsafeMutablePointer<FCGX_Request>, bodyRead: Int, declared: Int?, cap: Int,
                                      timeoutSeconds: Int) -> Bool {
        guard let input = req.pointee.in else { return false }
        if FCGX_HasSeenEOF(input) == EOF { return FCGX_GetError(input) == 0 }
        let fd = req.pointee.ipcFd
        if let declared, bodyRead >= declared {
            switch peek(fd) {
            case .empty: return true
            case .closed, .failed: return false
            case .waiting: break
            }
        }
        // The answer first, so that the client does not wait for the drain.
        _ = FCGX_FFlush(req.pointee.out)
        let deadline = ContinuousClock.now + .seconds(timeoutSeconds)
        var drained = 0
        var shortened = false
        var scratch = [CChar](repeating: 0, count: 8192)
        defer {
            // The connection's own timeout back for the next request's waits.
            if shortened {
                var timeout = timeval(tv_sec: timeoutSeconds, tv_usec: 0)
                _ = setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
            }
        }
        while FCGX_HasSeenEOF(input) != EOF {
            let left = deadline - ContinuousClock.now
            guard drained <= cap, left > .zero else { return false }
            let buffered = input.pointee.stop - input.pointee.rdNext
            if buffered == 0 {
                // One recv at most per read (as the body's reader): bounded by the time left.
                let (secs, atto) = left.components
                var wait = timeval(tv_sec: Int(secs), tv_usec: max(1000, Int(atto / 1_000_000_000_000)))
                _ = setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &wait, socklen_t(MemoryLayout<timeval>.size))
                shortened = true
            }
            let n = max(1, min(scratch.count, buffered))
            let got = FCGX_GetStr(&scratch, Int32(n), input)
            drained += max(0, Int(got))
        }
        return FCGX_GetError(input) == 0 && drained <= cap
    }

    private func put(_ bytes: [UInt8], _ stream: UnsafeMutablePointer<FCGX_Stream>?) {
        guard !bytes.isEmpty else { return }
        bytes.withUnsafeBufferPointer { buf in
            buf.baseAddress!.withMemoryRebound(to: CChar.self, capacity: buf.count) {
                _ = FCGX_PutStr($0, Int32(buf.count), stream)
            }
        }
    }
}
