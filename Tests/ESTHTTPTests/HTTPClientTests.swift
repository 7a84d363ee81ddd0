@testable import ESTHTTP
import Foundation
import XCTest

/// HTTPClient against a real Python http.server on loopback.
final class HTTPClientTests: XCTestCase {
    static let server = """
    import sys, time, threading
    from http.server import ThreadingHTTPServer, BaseHTTPRequestHandler
    class H(BaseHTTPRequestHandler):
        protocol_version = 'HTTP/1.1'  # keeps connections open, as a hook service does
        def log_message(self, *a): pass
        def do_POST(self):
            body = self.rfile.read(int(self.headers.get('Content-Length', '0')))
            p = self.path
            if p == '/echo': self.answer(200, body)
            elif p == '/headers':
                self.answer(200, ('%s|%s|%s' % (self.headers.get('Content-Type'), self.headers.get('X-Test'),
                                                self.headers.get('Expect'))).encode())
            elif p == '/500': self.answer(500, b'boom')
            elif p == '/redirect':
                self.send_response(302); self.send_header('Location', '/echo'); self.send_header('Content-Length', '0'); self.end_headers()
            elif p == '/big': self.answer(200, b'x' * 100000)
            elif p == '/bigstream':
                # No Content-Length: the body ends when the connection closes (HTTP/1.0).
                self.send_response(200); self.send_header('Connection', 'close'); self.end_headers()
                self.close_connection = True
                for _ in range(100): self.wfile.write(b'y' * 1000)
            elif p == '/port': self.answer(200, str(self.client_address[1]).encode())
            elif p == '/slow': time.sleep(3); self.answer(200, b'late')
            else: self.answer(404, b'')
        def answer(self, status, body):
            self.send_response(status); self.send_header('Content-Length', str(len(body))); self.end_headers()
            self.wfile.write(body)
    s = ThreadingHTTPServer(('127.0.0.1', 0), H)
    s.daemon_threads = True
    print(s.server_address[1], flush=True)
    s.serve_forever()
    """

    var process: Process?
    var base = ""

    override func setUpWithError() throws {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["python3", "-c", Self.server]
        let out = Pipe()
        p.standardOutput = out
        try p.run()
        process = p
        var line = [UInt8]()
        while let byte = try out.fileHandleForReading.read(upToCount: 1)?.first, byte != 0x0A { line.append(byte) }
        let port = try XCTUnwrap(Int(String(decoding: line, as: UTF8.self)), "the server printed no port")
        base = "http://127.0.0.1:\(port)"
    }

    override func tearDown() {
        process?.terminate()
        process?.waitUntilExit()
    }

    func post(_ path: String, _ body: String = "", headers: [(name: String, value: String)] = [],
              timeout: Duration = .seconds(5), max: Int = HTTPClient.defaultMaxResponseBytes) throws(HTTPClientError) -> HTTPResponse {
        try HTTPClient.post(url: base + path, body: Array(body.utf8), headers: headers, timeout: timeout, maxResponseBytes: max)
    }

    func testPostReturnsStatusAndBody() throws {
        let r = try post("/echo", "{\"a\": 1}")
        XCTAssertEqual(r.status, 200)
        XCTAssertEqual(String(decoding: r.body, as: UTF8.self), "{\"a\": 1}")
        XCTAssertEqual(try post("/echo").body, [], "an empty body is posted as empty")
        let e = try post("/500")
        XCTAssertEqual(e.status, 500, "a non-2xx status is an answer, not an error")
        XCTAssertEqual(e.body, Array("boom".utf8))
    }

    func testHeadersSentAndDefaults() throws {
        let r = try post("/headers", "x", headers: [(name: "Content-Type", value: "application/json"), (name: "X-Test", value: "v 1")])
        XCTAssertEqual(String(decoding: r.body, as: UTF8.self), "application/json|v 1|None", "no Expect: 100-continue")
        let d = try post("/headers", "x")
        XCTAssertEqual(String(decoding: d.body, as: UTF8.self), "application/octet-stream|None|None")
    }

    func testRejectsHeaderInjection() {
        XCTAssertThrowsError(try post("/echo", headers: [(name: "X-A", value: "a\r\nX-B: b")])) {
            XCTAssertEqual($0 as? HTTPClientError, .invalidHeader("value of X-A has CR, LF or NUL"))
        }
        XCTAssertThrowsError(try post("/echo", headers: [(name: "X A", value: "a")]))
        XCTAssertThrowsError(try post("/echo", headers: [(name: "", value: "a")]))
    }

    func testRedirectIsNotFollowed() throws {
        XCTAssertEqual(try post("/redirect").status, 302)
    }

    func testResponseBodyIsBounded() {
        // With a Content-Length over the limit, and with a body that just keeps coming.
        for path in ["/big", "/bigstream"] {
            XCTAssertThrowsError(try post(path, max: 10_000), path) {
                XCTAssertEqual($0 as? HTTPClientError, .responseTooLarge(limit: 10_000), path)
            }
        }
        XCTAssertEqual((try? post("/big", max: 100_000))?.body.count, 100_000, "exactly the limit is fine")
    }

    func testTimeout() {
        let start = ContinuousClock.now
        XCTAssertThrowsError(try post("/slow", timeout: .milliseconds(300))) {
            XCTAssertEqual($0 as? HTTPClientError, .timedOut(milliseconds: 300))
        }
        XCTAssertLessThan(ContinuousClock.now - start, .seconds(2))
    }

    func testConnectionRefusedIsTransportError() throws {
        // A port that was just free: bind, read it, close.
        let s = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var a = sockaddr_in(); a.sin_family = sa_family_t(AF_INET); a.sin_addr.s_addr = inet_addr("127.0.0.1")
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        withUnsafeMutablePointer(to: &a) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { _ = bind(s, $0, len); _ = getsockname(s, $0, &len) } }
        close(s)
        XCTAssertThrowsError(try HTTPClient.post(url: "http://127.0.0.1:\(UInt16(bigEndian: a.sin_port))/", body: [], timeout: .seconds(2))) {
            guard case .transport(let why)? = $0 as? HTTPClientError else { return XCTFail("\($0)") }
            XCTAssertFalse(why.contains("\n"))
        }
    }

    func testCheckURL() {
        for ok in ["http://127.0.0.1:8080/hook", "https://hooks.example.com/a?b=c", "HTTPS://example.com"] {
            XCTAssertNoThrow(try HTTPClient.checkURL(ok), ok)
        }
        for bad in ["ftp://example.com/", "file:///etc/passwd", "gopher://x/", "http://", "http:///path", "example.com",
                    "http://a b/", "http://a/\u{0}", "http://a/\n", "http://x/" + String(repeating: "a", count: 3000), ""] {
            XCTAssertThrowsError(try HTTPClient.checkURL(bad), bad)
            XCTAssertThrowsError(try HTTPClient.post(url: bad, body: [], timeout: .seconds(1)), bad)
        }
    }

    func testBadArguments() {
        XCTAssertThrowsError(try post("/echo", timeout: .zero))
        XCTAssertThrowsError(try post("/echo", timeout: .seconds(-1)))
        XCTAssertThrowsError(try post("/echo", max: -1))
        // Against /slow (3 s): an echo on loopback may well finish within the 1 ms.
        XCTAssertEqual(try? post("/slow", "1", timeout: .nanoseconds(1)).status, nil, "1 ns rounds up to 1 ms, not to 'no timeout'")
    }

    func testConnectionIsReusedByTheNextCall() throws {
        // The client's port names its connection: the second call comes on the first's.
        let first = String(decoding: try post("/port").body, as: UTF8.self)
        let second = String(decoding: try post("/port").body, as: UTF8.self)
        XCTAssertFalse(first.isEmpty)
        XCTAssertEqual(first, second, "a new connection for each call")
        // An answer that ends by closing the connection leaves nothing to reuse, and the
        // next call still goes through, on a connection of its own.
        XCTAssertEqual(try post("/bigstream", max: 200_000).body.count, 100_000)
        XCTAssertEqual(try post("/echo", "after").body, Array("after".utf8))
        XCTAssertLessThanOrEqual(EasyHandlePool.shared.idleCount, EasyHandlePool.maxIdle)
    }

    func testConcurrentCallsAreIndependent() {
        // A slow exchange on one thread does not hold up the others.
        let results = ResultBox()
        let group = DispatchGroup()
        let base = self.base
        // Threads of their own (not GCD's pool, which on Linux may be one thread per core).
        for i in 0..<16 {
            group.enter()
            Thread {
                let path = i == 0 ? "/slow" : "/echo"
                let r = try? HTTPClient.post(url: base + path, body: Array("n\(i)".utf8), timeout: .seconds(10))
                results.set(i, r.map { String(decoding: $0.body, as: UTF8.self) })
                group.leave()
            }.start()
        }
        XCTAssertEqual(group.wait(timeout: .now() + 2.5), .timedOut, "the slow one is still running")
        XCTAssertEqual((1..<16).map { results.get($0) }, (1..<16).map { "n\($0)" })
        XCTAssertEqual(group.wait(timeout: .now() + 5), .success)
        XCTAssertEqual(results.get(0), "late")
    }
}

final class ResultBox: @unchecked Sendable {
    private let lock = NSLock()
    private var values: [Int: String] = [:]
    func set(_ i: Int, _ v: String?) { lock.withLock { values[i] = v } }
    func get(_ i: Int) -> String? { lock.withLock { values[i] } }
}
