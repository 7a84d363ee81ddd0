@testable import ESTCA
import ESTCore
import Foundation
import XCTest

/// The hook's parts without a responder: the answer's strict reading, the command runner,
/// the settings' checks, the document, the slots. The whole path is Tests/integration/hook.sh.
final class AuthorizationHookTests: XCTestCase {
    func http(_ status: Int, _ body: String) -> AuthorizationVerdict { .fromHTTP(status: status, body: Array(body.utf8)) }

    func testHTTPAnswerIsReadStrictly() {
        XCTAssertEqual(http(200, #"{"allow": true}"#), .allow)
        XCTAssertEqual(http(200, #"{"allow": true, "note": "extra keys are fine"}"#), .allow)
        XCTAssertEqual(http(200, #"{"allow": false, "reason": "not in inventory"}"#), .deny("not in inventory"))
        XCTAssertEqual(http(200, #"{"allow": false}"#), .deny(nil))
        for body in [#"{"allow": 1}"#, #"{"allow": "true"}"#, #"{"allow": null}"#, #"{}"#, #"[true]"#, "true", "", "<html>",
                     #"{"allow": true"#, #"{"allow": false, "reason": 5}"#] {
            guard case .failed = http(200, body) else { return XCTFail("\(body) must not decide") }
        }
        for status in [201, 204, 302, 403, 500] {
            XCTAssertEqual(http(status, #"{"allow": true}"#), .failed("answered HTTP \(status)"), "only 200 decides")
        }
    }

    /// RFC 8259 §4: a repeated name is no clear answer, however it is spelled; names of
    /// nested objects, and braces or quotes inside strings, are not the top level's.
    func testHTTPAnswerWithARepeatedNameDoesNotDecide() {
        let repeated = "answer repeats a name in its JSON object"
        XCTAssertEqual(http(200, #"{"allow": true, "allow": false}"#), .failed(repeated))
        XCTAssertEqual(http(200, #"{"allow": false, "allow": true}"#), .failed(repeated))
        XCTAssertEqual(http(200, #"{"reason": "x", "al\u006cow": true, "allow": false}"#), .failed(repeated))
        XCTAssertEqual(http(200, #"{"allow": false, "reason": "a", "reason": "b"}"#), .failed(repeated))
        XCTAssertEqual(http(200, #" {"x": {"allow": false, "y": ["}", "\"", {"allow": 1}]}, "allow": true, "z": "{\\"} "#), .allow)
        XCTAssertEqual(http(200, "\u{FEFF}" + #"{"allow": true}"#), .allow)
        XCTAssertEqual(AuthorizationVerdict.topLevelNames(Array(#"{"a": [1, {"b": 2}], "c": null, "d": "}"}"#.utf8)), ["a", "c", "d"])
        XCTAssertEqual(AuthorizationVerdict.topLevelNames(Array("{}".utf8)), [])
        let utf16 = Array("{\"allow\": true}".data(using: .utf16)!)
        XCTAssertEqual(AuthorizationVerdict.fromHTTP(status: 200, body: utf16), .failed("answer is not JSON in UTF-8"))
    }

    func testCommandEndIsRead() {
        func run(_ end: ProgramRun.End, _ out: String = "") -> AuthorizationVerdict {
            .fromCommand(ProgramRun(end: end, output: Array(out.utf8)))
        }
        XCTAssertEqual(run(.exited(0), "ignored"), .allow)
        XCTAssertEqual(run(.exited(1), "first line\r\nsecond\n"), .deny("first line"))
        XCTAssertEqual(run(.exited(1)), .deny(nil))
        XCTAssertEqual(run(.exited(2)), .failed("command exited 2"))
        XCTAssertEqual(run(.signalled(9)), .failed("command killed by signal 9"))
        XCTAssertEqual(run(.timedOut(milliseconds: 5)), .failed("command did not finish within 5 ms (killed)"))
    }

    func script(_ body: String) throws -> String {
        let path = NSTemporaryDirectory() + "estfcgi-hook-\(UUID().uuidString).sh"
        try ("#!/bin/sh\n" + body + "\n").write(toFile: path, atomically: true, encoding: .utf8)
        chmod(path, 0o755)
        addTeardownBlock { unlink(path) }
        return path
    }

    func testProgramRunner() throws {
        let echo = ProgramRunner.run(try script("cat; echo; echo done"), input: Array("hello".utf8), timeoutMilliseconds: 5000)
        XCTAssertEqual(echo.end, .exited(0))
        XCTAssertEqual(String(decoding: echo.output, as: UTF8.self), "hello\ndone\n", "stdin in, stdout out")
        XCTAssertEqual(ProgramRunner.run(try script("exit 7"), input: [], timeoutMilliseconds: 5000).end, .exited(7))
        XCTAssertEqual(ProgramRunner.run(try script("kill -TERM $$"), input: [], timeoutMilliseconds: 5000).end, .signalled(SIGTERM))
        guard case .notStarted = ProgramRunner.run("/nonexistent/hook", input: [], timeoutMilliseconds: 5000).end else {
            return XCTFail("a missing program does not start")
        }
    }

    func testProgramRunnerBoundsOutputAndTime() throws {
        // 1 MB of output: 4096 bytes kept, the rest drained so the program is not stuck on a full pipe.
        let loud = ProgramRunner.run(try script("head -c 1000000 /dev/zero; exit 0"), input: [], timeoutMilliseconds: 10_000)
        XCTAssertEqual(loud.end, .exited(0))
        XCTAssertEqual(loud.output.count, 4096)
        // A program (and the child it forked) past the deadline: killed, and quickly.
        let start = ContinuousClock.now
        let slow = ProgramRunner.run(try script("sleep 30 & wait"), input: [], timeoutMilliseconds: 300)
        XCTAssertEqual(slow.end, .timedOut(milliseconds: 300))
        XCTAssertLessThan(ContinuousClock.now - start, .seconds(3))
        // A program that exits without reading 1 MB of stdin: no SIGPIPE death of this process.
        let deaf = ProgramRunner.run(try script("exit 1"), input: [UInt8](repeating: 0x41, count: 1_000_000), timeoutMilliseconds: 5000)
        XCTAssertEqual(deaf.end, .exited(1))
    }

    func testProgramGetsNothingOfOurs() throws {
        // An fd of ours without FD_CLOEXEC must not reach the program; nor our environment.
        let fd = open("/dev/null", O_RDONLY)
        defer { close(fd) }
        setenv("ESTFCGI_HOOK_TEST_SECRET", "x", 1)
        let run = ProgramRunner.run(try script("ls /proc/$$/fd | sort -n | tr '\\n' ' '; env | grep -c SECRET"), input: [],
                                    timeoutMilliseconds: 5000)
        let text = String(decoding: run.output, as: UTF8.self)
        XCTAssertFalse(text.split(separator: " ").contains(Substring("\(fd)")), text)
        XCTAssertTrue(text.hasSuffix("0\n"), "no variable of ours: \(text)")
    }

    func testSettingsAreChecked() {
        func refused(_ h: AuthorizationHook) -> Bool { (try? h.validate()) == nil }
        XCTAssertFalse(refused(AuthorizationHook(target: .url("http://127.0.0.1:8080/hook"))))
        XCTAssertTrue(refused(AuthorizationHook(target: .url("ftp://a/"))))
        XCTAssertTrue(refused(AuthorizationHook(target: .command("hook.sh"))), "relative")
        XCTAssertTrue(refused(AuthorizationHook(target: .command("/a\nb"))))
        var h = AuthorizationHook(target: .url("http://a/"))
        h.caFile = "/ca.pem"
        XCTAssertTrue(refused(h), "a CA file for http://")
        h.target = .url("https://a/")
        XCTAssertFalse(refused(h))
        h.clientCertificateFile = "/c.pem"
        XCTAssertTrue(refused(h), "a certificate without its key")
        h.clientKeyFile = "/k.pem"
        XCTAssertFalse(refused(h))
        h.timeoutMilliseconds = 60_001
        XCTAssertTrue(refused(h))
        var c = AuthorizationHook(target: .command("/bin/true"))
        c.caFile = "/ca.pem"
        XCTAssertTrue(refused(c), "TLS files are for a URL")
    }

    func testDocument() throws {
        let d = AuthorizationDocument(requestID: "0a", operation: .simplereenroll, profile: nil, device: "dev/1", subject: "CN=a\"b",
                                      subjectAltNames: ["DNS:a.example"], csrPEM: "-----BEGIN CERTIFICATE REQUEST-----\n",
                                      clientCertificatePEM: nil, httpUser: "dev-1")
        let json = String(decoding: try d.json(), as: UTF8.self)
        XCTAssertEqual(json, #"{"client_certificate":null,"csr":"-----BEGIN CERTIFICATE REQUEST-----\n","device":"dev/1","http_user":"dev-1","operation":"simplereenroll","profile":null,"request_id":"0a","sans":["DNS:a.example"],"subject":"CN=a\"b"}"#)
        XCTAssertEqual(AuthorizationDocument.newRequestID().count, 32)
        XCTAssertNotEqual(AuthorizationDocument.newRequestID(), AuthorizationDocument.newRequestID())
    }

    func testDenialIsBoundedAndEscaped() {
        let r = AuthorizationHookRefusal.denied("a\r\nb" + String(repeating: "x", count: 10_000), requestID: "id")
        XCTAssertEqual(r.httpStatus, 403)
        XCTAssertTrue(r.reason.hasPrefix("denied by the authorization hook: a\\x0d\\x0ab"), r.reason)
        XCTAssertTrue(r.reason.hasSuffix("... (request id)"), r.reason)
        XCTAssertLessThanOrEqual(r.reason.utf8.count, 60 + AuthorizationHookRefusal.reasonLimit)
        XCTAssertTrue(r.responseHeaders.isEmpty)
        let f = AuthorizationHookRefusal.failed("x", requestID: "id")
        XCTAssertEqual(f.httpStatus, 503)
        XCTAssertEqual(f.responseHeaders.first?.1, "10")
    }

    func testSlotsAreBounded() {
        let gate = AuthorizationHookGate(limit: 1, wait: 0.1)
        let inside = DispatchSemaphore(value: 0), release = DispatchSemaphore(value: 0)
        DispatchQueue.global().async {
            _ = gate.run { inside.signal(); release.wait() }
        }
        inside.wait()
        let start = Date()
        XCTAssertNil(gate.run { 1 }, "no free slot")
        XCTAssertGreaterThanOrEqual(Date().timeIntervalSince(start), 0.09, "after waiting its while")
        release.signal()
        var got: Int? = nil
        for _ in 0..<50 where got == nil { got = gate.run { 2 }; if got == nil { usleep(10_000) } }
        XCTAssertEqual(got, 2, "the slot is free again")
        gate.count(profile: nil, outcome: "allow")
        XCTAssertTrue(gate.metricsText().contains(#"estfcgi_authorization_hook_calls_total{profile="(default)",outcome="allow"} 1"#))
    }
}
