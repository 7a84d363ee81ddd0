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
        if let metrics = MetricsEndpoint.answer(params: params, metrics: server.metrics) {
            put(CGIResponse.encode(metrics), req.pointee.out)
            return
        }
        let started = ContinuousClock.now
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
            return got > 0 ? Array(buffer.prefix(Int(got))) : []
        }
        put(CGIResponse.encode(outcome.response), req.pointee.out)
        let elapsed = ContinuousClock.now - started
        server.metrics.record(outcome, seconds: Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18)
        server.log(outcome.logLine)
        if server.options.logToWebServer { put(Array((outcome.logLine + "\n").utf8), req.pointee.err) }
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
