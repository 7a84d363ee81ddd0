import ESTCore
@testable import ESTFastCGI
import Foundation
import XCTest

/// The adapter's byte handling, without a socket: parameters in, body in, response out.
final class AdapterTests: XCTestCase {
    func testParamsFirstNameWinsAndMalformedEntriesAreSkipped() {
        let p = FastCGIParams.parse(["A=1", "B==x=", "A=2", "NOEQUALS", "=empty-name", "C="])
        XCTAssertEqual(p, ["A": "1", "B": "=x=", "": "empty-name", "C": ""])
        // Found by FuzzParams: the split is at the byte, even before a combining mark.
        XCTAssertEqual(FastCGIParams.parse(["HTTP_X=\u{301}A=B"]), ["HTTP_X": "\u{301}A=B"])
        XCTAssertEqual(FastCGIParams.parse(["=\u{595}"]), ["": "\u{595}"])
    }

    /// The adapter reads libfcgi's envp in place: the same dictionary as from the entries as
    /// Strings, bytes that are not UTF-8 repaired alike.
    func testParamsFromACArrayReadAsFromStrings() {
        let entries: [[UInt8]] = [Array("A=1".utf8), Array("B==x=".utf8), Array("A=2".utf8), Array("NOEQUALS".utf8),
                                  Array("=empty-name".utf8), Array("C=".utf8), Array("HTTP_X=\u{301}A=B".utf8),
                                  [0x44, 0x3d, 0xff, 0xc3], [0xe9, 0x3d, 0x41]]
        var c: [UnsafeMutablePointer<CChar>?] = entries.map { strdup($0.map { CChar(bitPattern: $0) } + [0]) }
        c.append(nil)
        defer { c.forEach { free($0) } }
        let fromC = c.withUnsafeMutableBufferPointer { FastCGIParams.parse($0.baseAddress) }
        XCTAssertEqual(fromC, FastCGIParams.parse(entries.map { String(decoding: $0, as: UTF8.self) }))
        XCTAssertEqual(fromC["A"], "1")
        XCTAssertEqual(fromC["D"], "\u{fffd}\u{fffd}")
        XCTAssertEqual(FastCGIParams.parse(nil), [:])
    }

    /// A reader over `bytes` that hands out at most `chunk` bytes per call, like a socket.
    func reader(_ bytes: [UInt8], chunk: Int = 7) -> (Int) -> [UInt8] {
        var offset = 0
        return { n in
            let end = min(bytes.count, offset + min(n, chunk))
            defer { offset = end }
            return Array(bytes[offset..<end])
        }
    }

    func testBodyReading() {
        let body = Array("0123456789".utf8)
        let cases: [(name: String, declared: String?, cap: Int, expect: String, truncated: Bool)] = [
            ("declared length, read in chunks", "10", 64, "0123456789", false),
            ("declared shorter than what follows", "4", 64, "0123", false),
            ("declared longer than what arrives (EOF)", "40", 64, "0123456789", false),
            ("no CONTENT_LENGTH: read to EOF (chunked via mod_proxy_fcgi)", nil, 64, "0123456789", false),
            ("empty CONTENT_LENGTH", "", 64, "0123456789", false),
            ("unparseable CONTENT_LENGTH", "ten", 64, "0123456789", false),
            ("negative CONTENT_LENGTH", "-5", 64, "0123456789", false),
            ("declared over the cap: nothing read", "11", 10, "", true),
            ("undeclared over the cap: cap + 1 read", nil, 9, "0123456789", true),
            ("exactly the cap", nil, 10, "0123456789", false),
            ("zero length", "0", 64, "", false),
        ]
        for c in cases {
            let declared = ESTRequest(params: c.declared.map { ["CONTENT_LENGTH": $0] } ?? [:]).declaredLength
            let (data, truncated, timedOut) = RequestBody.read(declaredLength: declared, cap: c.cap, reader(body))
            XCTAssertEqual(String(decoding: data, as: UTF8.self), c.expect, c.name)
            XCTAssertEqual(truncated, c.truncated, c.name)
            XCTAssertFalse(timedOut, c.name)
        }
    }

    func testATricklingBodyStopsAtTheDeadline() {
        // One byte per read, 20 ms apart: a client at ~50 bytes/s against a 100 ms deadline.
        let start = ContinuousClock.now
        let (data, truncated, timedOut) = RequestBody.read(declaredLength: 1000, cap: 65536, deadline: start + .milliseconds(100)) { _ in
            Thread.sleep(forTimeInterval: 0.02)
            return [65]
        }
        XCTAssertTrue(timedOut)
        XCTAssertFalse(truncated)
        XCTAssertLessThan(data.count, 10)
        XCTAssertLessThan(ContinuousClock.now - start, .seconds(1))
    }

    func testBodyReadingStopsAtCapPlusOneOnAnEndlessStream() {
        var calls = 0
        let (data, truncated, _) = RequestBody.read(declaredLength: nil, cap: 100) { n in calls += 1; return [UInt8](repeating: 65, count: n) }
        XCTAssertEqual(data.count, 101)
        XCTAssertTrue(truncated)
        XCTAssertEqual(calls, 1)
    }

    func testResponseEncoding() {
        let ok = ESTResponse(status: 200, headers: [("Content-Type", "application/pkcs7-mime"), ("Content-Transfer-Encoding", "base64")],
                             body: Data("MII=\n".utf8))
        XCTAssertEqual(String(decoding: CGIResponse.encode(ok), as: UTF8.self),
                       "Status: 200 OK\r\nContent-Type: application/pkcs7-mime\r\nContent-Transfer-Encoding: base64\r\n"
                           + "Content-Length: 5\r\n\r\nMII=\n")
        // RFC 9110 §8.6 / §15.3.5: no Content-Length and no body on 204.
        XCTAssertEqual(String(decoding: CGIResponse.encode(ESTResponse(status: 204, body: Data("x".utf8))), as: UTF8.self),
                       "Status: 204 No Content\r\n\r\n")
        let refused = ESTResponse.error(405, "cacerts takes GET\r\nX-Injected: 1", extraHeaders: [("Allow", "GET, HEAD")])
        let text = String(decoding: CGIResponse.encode(refused), as: UTF8.self)
        XCTAssertTrue(text.hasPrefix("Status: 405 Method Not Allowed\r\nContent-Type: text/plain; charset=utf-8\r\nAllow: GET, HEAD\r\n"))
        XCTAssertTrue(text.hasSuffix("\r\n\r\ncacerts takes GET  X-Injected: 1\n"), "the reason stays one line of the body")
        XCTAssertEqual(String(decoding: CGIResponse.encode(ESTResponse(status: 599)), as: UTF8.self),
                       "Status: 599 Internal Server Error\r\nContent-Length: 0\r\n\r\n")
    }

    func testAUnixSocketGetsItsModeOrServeFails() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("estfcgi-sock-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        // A path without a colon is a unix socket (libfcgi's rule), whichever option named it.
        let path = dir.appendingPathComponent("est.sock").path
        let fd = try FastCGIServer.openSocket(path, unixMode: 0o660)
        defer { close(fd) }
        let mode = try XCTUnwrap(FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int)
        XCTAssertEqual(mode, 0o660)
    }
}
