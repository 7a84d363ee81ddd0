import ESTCore
@testable import ESTFastCGI
import ESTOpenSSL
import Foundation
import XCTest

/// The libfcgi loop itself under load: FastCGIServer.run with several workers on a unix
/// socket, several client threads speaking FastCGI at once, then SIGTERM to the serving
/// thread. Run under `swift test --sanitize=thread` by scripts/sanitize.
final class ServeConcurrencyTests: XCTestCase {
    /// Answers csrattrs with a fixed CsrAttrs and refuses everything else; one per worker.
    final class StaticAuthority: EnrollmentAuthority {
        var audited = 0
        func caCertificates(profile: String?) throws -> [Certificate] { throw ESTError.notFound("no CA here") }
        func clientAuthentication(profile: String?) -> ClientAuthentication { .certificate }
        func enroll(csr: CertificateSigningRequest, profile: String?, credentials: ClientCredentials, audit: AuditEvent) throws -> Certificate {
            throw ESTError(403, "no enrollment here")
        }
        func reenroll(_ request: ReenrollmentRequest, profile: String?, audit: AuditEvent) throws -> Certificate {
            throw ESTError(403, "no enrollment here")
        }
        func serverKeyGen(_ request: ServerKeyGenRequest, profile: String?, credentials: ClientCredentials, audit: AuditEvent) throws -> ServerGeneratedKey {
            throw ESTError(403, "no enrollment here")
        }
        func csrAttributes(profile: String?) throws -> Data? { Data([0x30, 0x00]) }
        func crl(profile: String?) throws -> Data { throw ESTError.notFound("no CRL here") }
        func crl(issuer: String) throws -> Data { throw ESTError.notFound("no CRL here") }
        func ocsp(_ request: OCSPRequest) throws -> OCSPAnswer { .unsuccessful(.unauthorized, "no CA here") }
        func audit(_ event: AuditEvent) { audited += 1 }
    }

    final class Box<T>: @unchecked Sendable {
        private let lock = NSLock()
        private var value: T
        init(_ value: T) { self.value = value }
        func with<R>(_ body: (inout T) -> R) -> R { lock.withLock { body(&value) } }
    }

    func testWorkersServeConcurrentClientsAndStopOnSIGTERM() throws {
        let path = "/tmp/estfcgi-test-\(UUID().uuidString.prefix(8)).sock"
        defer { unlink(path) }
        let fd = try FastCGIServer.openSocket(path, unixMode: 0o600)
        defer { close(fd) }
        var options = FastCGIServer.Options()
        options.workers = 4
        let server = FastCGIServer(listenFD: fd, options: options) { ESTService(authority: StaticAuthority()) }

        let serving = Box<pthread_t?>(nil)
        let stopped = DispatchSemaphore(value: 0)
        let runError = Box<String?>(nil)
        let runner = Thread {
            serving.with { $0 = pthread_self() }
            do { try server.run() } catch { runError.with { $0 = "\(error)" } }
            stopped.signal()
        }
        runner.start()

        let clients = 4
        let perClient = 20
        let answers = Box<[String]>([])
        let group = DispatchGroup()
        for c in 0..<clients {
            group.enter()
            Thread {
                defer { group.leave() }
                for i in 0..<perClient {
                    let (op, method) = [("csrattrs", "GET"), ("cacerts", "GET"), ("simpleenroll", "POST")][(c + i) % 3]
                    let params = [("REQUEST_METHOD", method), ("DOCUMENT_URI", "/.well-known/est/\(op)"),
                                  ("CONTENT_TYPE", "application/pkcs10"), ("CONTENT_LENGTH", "4")]
                    let reply = (try? Self.request(path: path, id: UInt16(1 + i), params: params, body: Array("MAA=".utf8)))
                        .map { String(decoding: $0, as: UTF8.self) } ?? "no answer"
                    answers.with { $0.append("\(op) \(reply.split(separator: "\r\n").first ?? "")") }
                }
            }.start()
        }
        XCTAssertEqual(group.wait(timeout: .now() + 120), .success, "clients did not finish")

        let thread = try XCTUnwrap(serving.with { $0 })
        pthread_kill(thread, SIGTERM)
        XCTAssertEqual(stopped.wait(timeout: .now() + 30), .success, "run() did not return after SIGTERM")
        XCTAssertNil(runError.with { $0 })

        let got = answers.with { $0 }
        XCTAssertEqual(got.count, clients * perClient)
        let expected = ["csrattrs": "Status: 200 OK", "cacerts": "Status: 404 Not Found",
                        "simpleenroll": "Status: 401 Unauthorized"]
        for line in got {
            let op = String(line.split(separator: " ")[0])
            XCTAssertEqual(line, "\(op) \(expected[op]!)")
        }
    }

    // MARK: - a minimal FastCGI client (FastCGI 1.0 specification)

    static func record(_ type: UInt8, _ id: UInt16, _ content: [UInt8]) -> [UInt8] {
        [1, type, UInt8(id >> 8), UInt8(id & 0xff), UInt8(content.count >> 8), UInt8(content.count & 0xff), 0, 0] + content
    }

    static func length(_ n: Int) -> [UInt8] {
        n < 128 ? [UInt8(n)] : [UInt8(0x80 | (n >> 24)), UInt8((n >> 16) & 0xff), UInt8((n >> 8) & 0xff), UInt8(n & 0xff)]
    }

    /// One request on its own connection; returns what the responder wrote to FCGI_STDOUT.
    static func request(path: String, id: UInt16, params: [(String, String)], body: [UInt8]) throws -> [UInt8] {
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw POSIXError(.EIO) }
        defer { close(fd) }
        var addr = sockaddr_un()
        addr.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &addr.sun_path) { buf in
            for (i, b) in path.utf8.enumerated() { buf[i] = b }
            buf[path.utf8.count] = 0
        }
        let rc = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        guard rc == 0 else { throw POSIXError(.ECONNREFUSED) }

        var out = record(1, id, [0, 1, 0, 0, 0, 0, 0, 0])  // BEGIN_REQUEST, RESPONDER, no keep-alive
        var pairs: [UInt8] = []
        for (name, value) in params {
            pairs += length(name.utf8.count) + length(value.utf8.count) + Array(name.utf8) + Array(value.utf8)
        }
        out += record(4, id, pairs) + record(4, id, [])      // PARAMS, then their end
        out += record(5, id, body) + record(5, id, [])        // STDIN, then its end
        try out.withUnsafeBytes { buf in
            var sent = 0
            while sent < buf.count {
                let n = write(fd, buf.baseAddress! + sent, buf.count - sent)
                guard n > 0 else { throw POSIXError(.EPIPE) }
                sent += n
            }
        }

        func readExactly(_ n: Int) throws -> [UInt8] {
            var bytes = [UInt8](repeating: 0, count: n)
            var got = 0
            while got < n {
                let r = bytes.withUnsafeMutableBytes { read(fd, $0.baseAddress! + got, n - got) }
                guard r > 0 else { throw POSIXError(.ECONNRESET) }
                got += r
            }
            return bytes
        }
        var stdout: [UInt8] = []
        while true {
            let h = try readExactly(8)
            let content = try readExactly(Int(h[4]) << 8 | Int(h[5]))
            _ = try readExactly(Int(h[6]))
            switch h[1] {
            case 6: stdout += content  // FCGI_STDOUT
            case 3: return stdout      // FCGI_END_REQUEST
            default: continue          // FCGI_STDERR
            }
        }
    }
}
