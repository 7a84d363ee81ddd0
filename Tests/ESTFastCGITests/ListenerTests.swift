@testable import ESTFastCGI
import Foundation
import XCTest

/// Where `serve` takes its listen socket from (systemd socket activation as sd_listen_fds
/// reads it, the options, fd 0), and what it accepts as a passed listener.
final class ListenerTests: XCTestCase {
    let pid: Int32 = 4242

    func choose(socket: String? = nil, listen: String? = nil, _ environment: [String: String]) throws -> ListenerSource {
        try ListenerSource.choose(socket: socket, listen: listen, environment: environment, pid: pid)
    }

    func refusal(socket: String? = nil, listen: String? = nil, _ environment: [String: String]) -> String? {
        do { _ = try choose(socket: socket, listen: listen, environment); return nil } catch { return "\(error)" }
    }

    func testNoActivationKeepsTodaysChoices() throws {
        XCTAssertEqual(try choose([:]), .inherited)
        XCTAssertEqual(try choose(socket: "/run/x.sock", [:]), .open("/run/x.sock"))
        XCTAssertEqual(try choose(listen: "127.0.0.1:9000", [:]), .open("127.0.0.1:9000"))
    }

    func testOneSocketForThisProcessIsFD3() throws {
        XCTAssertEqual(try choose(["LISTEN_PID": "4242", "LISTEN_FDS": "1"]), .systemd(fd: 3))
        XCTAssertEqual(try choose(["LISTEN_PID": "4242", "LISTEN_FDS": "1", "LISTEN_FDNAMES": "estfcgi@a.socket"]), .systemd(fd: 3))
    }

    /// A parent's variables, inherited by a child that is not the activated process, name
    /// another pid: they are not for this process (sd_listen_fds returns 0).
    func testVariablesOfAnotherProcessAreIgnored() throws {
        XCTAssertEqual(try choose(["LISTEN_PID": "4243", "LISTEN_FDS": "1"]), .inherited)
        XCTAssertEqual(try choose(socket: "/run/x.sock", ["LISTEN_PID": "1", "LISTEN_FDS": "2"]), .open("/run/x.sock"))
        // LISTEN_FDS without LISTEN_PID, or LISTEN_PID without LISTEN_FDS: no activation.
        XCTAssertEqual(try choose(["LISTEN_FDS": "1"]), .inherited)
        XCTAssertEqual(try choose(["LISTEN_PID": "4242"]), .inherited)
    }

    func testMoreThanOneSocketIsRefused() {
        let why = refusal(["LISTEN_PID": "4242", "LISTEN_FDS": "2", "LISTEN_FDNAMES": "a:b"])
        XCTAssertEqual(why, "systemd passed 2 sockets (LISTEN_FDS=2); estfcgi serve takes exactly one: give its .socket unit a single ListenStream=")
    }

    func testMalformedVariablesAreRefused() {
        for bad in ["", "x", "-1", "0", "99999999999999999999"] {
            XCTAssertNotNil(refusal(["LISTEN_PID": bad, "LISTEN_FDS": "1"]), "LISTEN_PID=\(bad)")
        }
        for bad in ["", "one", "0", "-1", "1x"] {
            XCTAssertEqual(refusal(["LISTEN_PID": "4242", "LISTEN_FDS": bad]),
                           "LISTEN_FDS=\(bad) is not a positive number of sockets (socket activation)")
        }
    }

    func testActivationTogetherWithAnOptionIsRefused() {
        let env = ["LISTEN_PID": "4242", "LISTEN_FDS": "1"]
        XCTAssertEqual(refusal(socket: "/run/x.sock", env),
                       "a socket-activated listener (LISTEN_FDS=1) and --socket /run/x.sock were both given: drop the option from ExecStart, or the .socket unit")
        XCTAssertNotNil(refusal(listen: "127.0.0.1:9000", env))
    }

    // The check of a passed descriptor, on real descriptors.

    func listening(_ type: Int32) throws -> Int32 {
        let fd = socket(AF_UNIX, type, 0)
        XCTAssertGreaterThanOrEqual(fd, 0)
        var addr = sockaddr_un()
        addr.sun_family = sa_family_t(AF_UNIX)
        let path = "/tmp/estfcgi-listener-\(UUID().uuidString.prefix(8)).sock"
        _ = withUnsafeMutableBytes(of: &addr.sun_path) { raw in path.utf8CString.withUnsafeBytes { raw.copyMemory(from: $0) } }
        let bound = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        XCTAssertEqual(bound, 0)
        unlink(path)
        return fd
    }

    func testAListeningStreamSocketIsAccepted() throws {
        let fd = try listening(Int32(SOCK_STREAM.rawValue))
        defer { close(fd) }
        XCTAssertEqual(listen(fd, 8), 0)
        XCTAssertEqual(try FastCGIServer.activatedSocket(fd), fd)
        XCTAssertNotEqual(fcntl(fd, F_GETFD) & FD_CLOEXEC, 0, "marked close-on-exec, as sd_listen_fds does")
    }

    func testWhatIsNotAListeningStreamSocketIsRefused() throws {
        func why(_ fd: Int32) -> String {
            do { try FastCGIServer.checkListening(fd, what: "fd"); return "accepted" } catch { return "\(error)" }
        }
        // Bound, not listening (or a connection, as Accept=yes would pass).
        let unlistened = try listening(Int32(SOCK_STREAM.rawValue))
        defer { close(unlistened) }
        XCTAssertEqual(why(unlistened), "fd is a socket but not listening (the .socket unit needs Accept=no)")
        var pair: [Int32] = [-1, -1]
        XCTAssertEqual(socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0, &pair), 0)
        defer { close(pair[0]); close(pair[1]) }
        XCTAssertEqual(why(pair[0]), "fd is a socket but not listening (the .socket unit needs Accept=no)")
        // A datagram socket (ListenDatagram=).
        let datagram = try listening(Int32(SOCK_DGRAM.rawValue))
        defer { close(datagram) }
        XCTAssertEqual(why(datagram), "fd is not a stream socket (the .socket unit needs ListenStream=)")
        // A file, and nothing at all.
        let file = open("/dev/null", O_RDONLY)
        defer { close(file) }
        XCTAssertEqual(why(file), "fd is not a socket")
        XCTAssertTrue(why(987).hasPrefix("fd is not open: "), why(987))
    }
}

/// The process-environment side: the variables are read, then unset whatever they said.
final class ListenerEnvironmentTests: XCTestCase {
    func testActivationVariablesAreUnsetOnceRead() throws {
        setenv("LISTEN_PID", "\(getpid())", 1)
        setenv("LISTEN_FDS", "1", 1)
        setenv("LISTEN_FDNAMES", "estfcgi@a.socket", 1)
        XCTAssertEqual(try ListenerSource.takeFromEnvironment(socket: nil, listen: nil), .systemd(fd: 3))
        for name in ListenerSource.activationVariables { XCTAssertNil(getenv(name), name) }
        // Refused or not for this process: unset all the same.
        setenv("LISTEN_PID", "\(getpid())", 1)
        setenv("LISTEN_FDS", "2", 1)
        XCTAssertThrowsError(try ListenerSource.takeFromEnvironment(socket: nil, listen: nil))
        for name in ListenerSource.activationVariables { XCTAssertNil(getenv(name), name) }
        setenv("LISTEN_PID", "\(getpid() + 1)", 1)
        setenv("LISTEN_FDS", "1", 1)
        XCTAssertEqual(try ListenerSource.takeFromEnvironment(socket: "/run/x.sock", listen: nil), .open("/run/x.sock"))
        for name in ListenerSource.activationVariables { XCTAssertNil(getenv(name), name) }
    }
}
