import ESTCore
@testable import ESTFastCGI
import ESTOpenSSL
import Foundation
import XCTest

/// The CGI adapter without a web server: when a process is a CGI program, how one request
/// is read and answered, and what is opened for it.
final class CGIAdapterTests: XCTestCase {
    typealias StaticAuthority = ServeConcurrencyTests.StaticAuthority

    func testWhatCountsAsACGIRequest() {
        let cgi = ["GATEWAY_INTERFACE": "CGI/1.1", "REQUEST_METHOD": "GET"]
        let cases: [(String, [String: String], [String], Bool)] = [
            ("CGI variables, no arguments", cgi, [], true),
            ("an ISINDEX query's words as arguments (RFC 3875 §4.4)", cgi.merging(["QUERY_STRING": "a+b"]) { $1 }, ["a", "b"], true),
            ("a command run from a CGI script", cgi, ["cert", "list"], false),
            ("a command, with a query that has '='", cgi.merging(["QUERY_STRING": "a=b"]) { $1 }, ["cert", "list"], false),
            ("no GATEWAY_INTERFACE", ["REQUEST_METHOD": "GET"], [], false),
            ("another gateway", ["GATEWAY_INTERFACE": "FastCGI/1.0", "REQUEST_METHOD": "GET"], [], false),
            ("no REQUEST_METHOD", ["GATEWAY_INTERFACE": "CGI/1.1"], [], false),
            ("an empty REQUEST_METHOD", ["GATEWAY_INTERFACE": "CGI/1.1", "REQUEST_METHOD": ""], [], false),
            ("a plain shell", [:], [], false),
        ]
        for (name, params, arguments, expected) in cases {
            XCTAssertEqual(CGIAdapter.isCGIRequest(params, arguments: arguments), expected, name)
        }
    }

    func clientPEM() throws -> String {
        let key = try PrivateKey.generate(.ecP256)
        return try CertificateSigner.sign(CertificateTemplate(
            subject: try DistinguishedName(parsing: "CN=device"), publicKey: try key.publicKey,
            serial: try CertificateTemplate.randomSerial(), notBefore: Date() - 60, notAfter: Date() + 3600,
            isCA: false, keyUsage: [.digitalSignature]), issuer: nil, issuerKey: key).pem
    }

    func enrollParams(length: Int?, client: String?) -> [String: String] {
        var p = ["GATEWAY_INTERFACE": "CGI/1.1", "REQUEST_METHOD": "POST", "SCRIPT_NAME": "/.well-known/est",
                 "PATH_INFO": "/simpleenroll", "CONTENT_TYPE": "application/pkcs10"]
        if let length { p["CONTENT_LENGTH"] = String(length) }
        if let client { p["SSL_CLIENT_CERT"] = client }
        return p
    }

    func testRefusalsThatNeedNoBodyReadNothingAndOpenNothing() throws {
        let deferred = DeferredAuthority { StaticAuthority() }
        let service = ESTService(authority: deferred)
        var reads = 0
        let read: (Int, ContinuousClock.Instant) -> [UInt8]? = { _, _ in reads += 1; return [] }
        let cases: [(String, [String: String], Int)] = [
            ("declared over the cap", enrollParams(length: ESTService.maxBodyBytes + 1, client: try clientPEM()), 413),
            ("wrong method", ["REQUEST_METHOD": "GET", "SCRIPT_NAME": "/.well-known/est", "PATH_INFO": "/simpleenroll"], 405),
            ("unrouted", ["REQUEST_METHOD": "GET", "SCRIPT_NAME": "/.well-known/est", "PATH_INFO": "/nosuchop"], 404),
        ]
        for (name, params, status) in cases {
            let outcome = CGIAdapter.respond(params: params, service: service, deadline: .now + .seconds(5), read: read)
            XCTAssertEqual(outcome.response.status, status, name)
        }
        XCTAssertEqual(reads, 0, "no body was read")
        XCTAssertFalse(deferred.isOpen, "no store was opened")
        // Without credentials the profile decides what to ask for (a certificate, or HTTP
        // authentication with its challenge): the store is opened, the body still not read.
        let outcome = CGIAdapter.respond(params: enrollParams(length: 10, client: nil), service: service,
                                         deadline: .now + .seconds(5), read: read)
        XCTAssertEqual(outcome.response.status, 401)
        XCTAssertEqual(reads, 0, "no body was read")
        XCTAssertTrue(deferred.isOpen)
    }

    func testTheBodyIsReadToItsLengthAndAStallIsA408() throws {
        let client = try clientPEM()
        let service = ESTService(authority: StaticAuthority())
        // A body that is no CSR: read in full, then refused by the core (400), not cut short.
        var asked = 0
        var offered = Array("not a CSR".utf8)
        let outcome = CGIAdapter.respond(params: enrollParams(length: offered.count, client: client), service: service,
                                         deadline: .now + .seconds(5)) { n, _ in
            asked += 1
            let chunk = Array(offered.prefix(min(n, 3)))
            offered.removeFirst(chunk.count)
            return chunk
        }
        XCTAssertEqual(outcome.response.status, 400)
        XCTAssertTrue(offered.isEmpty)
        XCTAssertEqual(asked, 3, "stops at CONTENT_LENGTH: a mod_cgid socket sends no EOF before it")

        // Nothing more arrives before the deadline (the reader says nil): 408.
        let stalled = CGIAdapter.respond(params: enrollParams(length: 500, client: client), service: service,
                                         deadline: .now + .seconds(5)) { _, _ in nil }
        XCTAssertEqual(stalled.response.status, 408)
        // No CONTENT_LENGTH and an endless body: cap + 1 bytes, then 413.
        let endless = CGIAdapter.respond(params: enrollParams(length: nil, client: client), service: service,
                                         deadline: .now + .seconds(5)) { n, _ in [UInt8](repeating: 65, count: n) }
        XCTAssertEqual(endless.response.status, 413)
    }

    func testAStoreThatCannotBeOpenedIsA500WithItsReasonInTheLogOnly() throws {
        struct NoStore: ESTStatusError {
            var httpStatus: Int { 404 }
            var reason: String { "no store at /var/lib/estfcgi/ca.db" }
        }
        var opens = 0
        let deferred = DeferredAuthority { opens += 1; throw NoStore() }
        let service = ESTService(authority: deferred)
        let get = ["REQUEST_METHOD": "GET", "SCRIPT_NAME": "/.well-known/est", "PATH_INFO": "/cacerts"]
        let outcome = CGIAdapter.respond(params: get, service: service, deadline: .now + .seconds(5)) { _, _ in [] }
        XCTAssertEqual(outcome.response.status, 500, "the operator's fault, whatever the store layer called it")
        XCTAssertEqual(String(decoding: outcome.response.body, as: UTF8.self), "internal error\n")
        XCTAssertTrue(outcome.logLine.contains(#"reason="cannot open the CA store: no store at /var/lib/estfcgi/ca.db""#), outcome.logLine)
        _ = CGIAdapter.respond(params: get, service: service, deadline: .now + .seconds(5)) { _, _ in [] }
        XCTAssertEqual(opens, 1, "a failed open is remembered, not retried")

        struct Busy: ESTStatusError {
            var httpStatus: Int { 503 }
            var reason: String { "the CA store is busy" }
        }
        let busy = CGIAdapter.respond(params: get, service: ESTService(authority: DeferredAuthority { throw Busy() }),
                                      deadline: .now + .seconds(5)) { _, _ in [] }
        XCTAssertEqual(busy.response.status, 503)
        XCTAssertEqual(busy.response.header("Retry-After"), "1")
    }

    func testAnOpenedAuthorityAnswersAsItself() {
        var opens = 0
        let deferred = DeferredAuthority { opens += 1; return StaticAuthority() }
        let service = ESTService(authority: deferred)
        let get = ["REQUEST_METHOD": "GET", "SCRIPT_NAME": "/.well-known/est", "PATH_INFO": "/csrattrs"]
        for _ in 0..<2 {
            let outcome = CGIAdapter.respond(params: get, service: service, deadline: .now + .seconds(5)) { _, _ in [] }
            XCTAssertEqual(outcome.response.status, 200)
        }
        XCTAssertEqual(opens, 1)
        // Its refusals keep their own status (StaticAuthority has no CAs: 404).
        let cacerts = ["REQUEST_METHOD": "GET", "SCRIPT_NAME": "/.well-known/est", "PATH_INFO": "/cacerts"]
        XCTAssertEqual(CGIAdapter.respond(params: cacerts, service: service, deadline: .now + .seconds(5)) { _, _ in [] }
            .response.status, 404)
    }

    func testReadingADescriptorWithADeadline() throws {
        var fds: [Int32] = [0, 0]
        XCTAssertEqual(pipe(&fds), 0)
        defer { close(fds[0]) }
        XCTAssertTrue(CGIAdapter.writeAll(fd: fds[1], Array("abcdef".utf8)))
        XCTAssertEqual(CGIAdapter.readAvailable(fd: fds[0], upTo: 4, until: .now + .seconds(5)), Array("abcd".utf8))
        XCTAssertEqual(CGIAdapter.readAvailable(fd: fds[0], upTo: 10, until: .now + .seconds(5)), Array("ef".utf8))
        // Nothing written, writer still open: nil at the deadline, not a hang.
        let start = ContinuousClock.now
        XCTAssertNil(CGIAdapter.readAvailable(fd: fds[0], upTo: 10, until: .now + .milliseconds(150)))
        XCTAssertLessThan(ContinuousClock.now - start, .seconds(2))
        // Writer closed: EOF is empty.
        close(fds[1])
        XCTAssertEqual(CGIAdapter.readAvailable(fd: fds[0], upTo: 10, until: .now + .seconds(5)), [])
    }

    func testDrainingWhatARefusalDidNotRead() throws {
        var fds: [Int32] = [0, 0]
        XCTAssertEqual(pipe(&fds), 0)
        defer { close(fds[0]) }
        XCTAssertTrue(CGIAdapter.writeAll(fd: fds[1], [UInt8](repeating: 65, count: 30_000)))
        XCTAssertTrue(CGIAdapter.drain(fd: fds[0], left: 10_000, cap: 1 << 20, until: .now + .seconds(5)))
        XCTAssertFalse(CGIAdapter.drain(fd: fds[0], left: 20_000, cap: 5_000, until: .now + .seconds(5)), "over the cap")
        // What is left (some 15,000 bytes), then EOF, when no length is known.
        close(fds[1])
        XCTAssertTrue(CGIAdapter.drain(fd: fds[0], left: nil, cap: 1 << 20, until: .now + .seconds(5)))
        XCTAssertTrue(CGIAdapter.drain(fd: fds[0], left: 0, cap: 1 << 20, until: .now + .seconds(5)))

        var stalled: [Int32] = [0, 0]
        XCTAssertEqual(pipe(&stalled), 0)
        defer { close(stalled[0]); close(stalled[1]) }
        XCTAssertFalse(CGIAdapter.drain(fd: stalled[0], left: 10, cap: 1 << 20, until: .now + .milliseconds(100)),
                       "a body that does not come is given up at the deadline")
    }
}
