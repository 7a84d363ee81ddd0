internal import CFastCGI
import ESTCore
import Foundation
import Synchronization

/// Moves bytes between libfcgi and the EST core; decides nothing itself.
public final class FastCGIServer: @unchecked Sendable {
    public struct Options: Sendable {
        public var workers: Int = 8  // as `serve --workers` (docs/benchmarks.md)
        /// Also send each log line as a FastCGI stderr record (into the web server's error log).
        public var logToWebServer: Bool = false
        /// The longest a connection may stay silent, and the longest a request body may take.
        public var readTimeoutSeconds: Int = 10
        /// After SIGTERM, how long requests in flight may take before the process exits anyway.
        public var drainSeconds: Int = 10
        public init() {}
    }

    let listenFD: Int32
    let options: Options
    /// Set before the listen socket is shut down, so workers tell a stop from a timeout.
    let stopping = Atomic<Bool>(false)
    let makeService: @Sendable () throws -> ESTService
    /// What this process answered, for `GET /.well-known/est/.metrics` (MetricsEndpoint).
    public let metrics = Metrics()

    /// `makeService` runs once per worker thread: each gets its own store connection.
    public init(listenFD: Int32, options: Options, makeService: @escaping @Sendable () throws -> ESTService) {
        self.listenFD = listenFD
        self.options = options
        self.makeService = makeService
    }

    /// A listening socket: `spec` is a unix socket path or `host:port`. A unix socket gets
    /// `unixMode`, or the call fails: the socket is the trust boundary.
    public static func openSocket(_ spec: String, unixMode: UInt32) throws -> Int32 {
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
            guard chmod(spec, mode_t(unixMode)) == 0 else {
                let why = String(cString: strerror(errno))
                close(fd)
                throw ServeError("cannot set mode \(String(unixMode, radix: 8)) on \(spec): \(why)")
            }
        }
        return fd
    }

    /// fd 0 when it is a listening socket handed over by spawn-fcgi or mod_fcgid (the default
    /// with no socket option and no socket activation).
    public static func inheritedSocket() throws -> Int32 {
        guard FCGX_Init() == 0 else { throw ServeError("FCGX_Init failed") }
        guard FCGX_IsCGI() == 0 else {
            throw ServeError("no listen socket: pass --socket PATH or --listen HOST:PORT, or start under systemd socket activation, spawn-fcgi or mod_fcgid")
        }
        return 0
    }

    /// The listener systemd passed (socket activation, normally fd 3): it must be an open,
    /// listening stream socket. Marked close-on-exec, as `sd_listen_fds` does.
    public static func activatedSocket(_ fd: Int32) throws -> Int32 {
        guard FCGX_Init() == 0 else { throw ServeError("FCGX_Init failed") }
        try checkListening(fd, what: "the socket-activated listener (fd \(fd), LISTEN_FDS=1)")
        _ = fcntl(fd, F_SETFD, fcntl(fd, F_GETFD) | FD_CLOEXEC)
        return fd
    }

    /// Throws unless `fd` is a stream socket in the listening state.
    static func checkListening(_ fd: Int32, what: String) throws {
        var st = stat()
        guard fstat(fd, &st) == 0 else { throw ServeError("\(what) is not open: \(String(cString: strerror(errno)))") }
        guard (st.st_mode & S_IFMT) == S_IFSOCK else { throw ServeError("\(what) is not a socket") }
        var value: Int32 = 0
        var length = socklen_t(MemoryLayout<Int32>.size)
        guard getsockopt(fd, SOL_SOCKET, SO_TYPE, &value, &length) == 0, value == Int32(SOCK_STREAM.rawValue) else {
            throw ServeError("\(what) is not a stream socket (the .socket unit needs ListenStream=)")
        }
        length = socklen_t(MemoryLayout<Int32>.size)
        guard getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &value, &length) == 0, value == 1 else {
            throw ServeError("\(what) is a socket but not listening (the .socket unit needs Accept=no)")
        }
    }

    /// Blocks SIGTERM and SIGINT in the calling thread and the threads it starts later, so
    /// that a stop signal arriving during start-up waits for `run`'s sigwait instead of
    /// meeting a thread that does not expect it. Call it first thing; `run` calls it again.
    public static func blockStopSignals() { _ = stopSignalSet() }

    static func stopSignalSet() -> sigset_t {
        var stopSignals = sigset_t()
        sigemptyset(&stopSignals)
        sigaddset(&stopSignals, SIGTERM)
        sigaddset(&stopSignals, SIGINT)
        pthread_sigmask(SIG_BLOCK, &stopSignals, nil)
        return stopSignals
    }

    /// Serves until SIGTERM or SIGINT, then lets requests in flight finish and returns.
    public func run() throws {
        signal(SIGPIPE, SIG_IGN)
        // Block the stop signals in every thread; this one waits for them with sigwait.
        var stopSignals = Self.stopSignalSet()

        // Open every worker's store before accepting anything: a bad --db fails at start.
        var services: [ESTService] = []
        for _ in 0..<max(1, options.workers) { services.append(try makeService()) }

        // Accepted sockets inherit the listening socket's receive timeout (Linux): an idle
        // or stalled connection then fails its read instead of holding a worker. accept()
        // itself times out too on an idle listener; the workers accept again (Worker.loop).
        var timeout = timeval(tv_sec: options.readTimeoutSeconds, tv_usec: 0)
        if setsockopt(listenFD, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size)) != 0 {
            log("estfcgi: cannot set a receive timeout on the listen socket: \(String(cString: strerror(errno)))")
        }

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
        stopping.store(true, ordering: .sequentiallyConsistent)
        FCGX_ShutdownPending()
        // Wakes every thread blocked in accept(); requests being handled are unaffected.
        shutdown(listenFD, Int32(SHUT_RDWR))
        if group.wait(timeout: .now() + .seconds(options.drainSeconds)) == .timedOut {
            log("estfcgi: requests still running after \(options.drainSeconds) s; stopping anyway")
        }
        let unaudited = services.reduce(0) { $0 + $1.unaudited }
        log("estfcgi: stopped (\(unaudited) requests refused before any policy decision were logged, not audited)")
    }

    func log(_ line: String) {
        let text = line + "\n"
        text.withCString { _ = write(2, $0, strlen($0)) }
    }
}
