import ArgumentParser
import ESTCA
import ESTCore
import ESTFastCGI
import ESTOpenSSL
import ESTSQLiteStore
import Foundation

struct Serve: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Answer EST requests over FastCGI (from nginx, Apache, spawn-fcgi or mod_fcgid).",
        discussion: """
            With neither --socket nor --listen, accepts on the listen socket passed by systemd
            (socket activation: LISTEN_FDS=1, LISTEN_PID of this process; fd 3), else on the one
            handed over on fd 0.
            SIGTERM finishes the requests in flight, then exits 0.
            """)
    @OptionGroup var store: StoreOptions
    @Option(help: ArgumentHelp("Unix socket to listen on.", valueName: "PATH")) var socket: String?
    @Option(help: ArgumentHelp("TCP address to listen on, e.g. 127.0.0.1:9000.", valueName: "HOST:PORT")) var listen: String?
    // 8: measured (docs/benchmarks.md): a worker waits for its group commit's flush, so more
    // of them share each flush, with less CPU per enrollment than 2 or 4 on two cores.
    @Option(help: "Concurrent request loops, each with its own store connection.") var workers: Int = 8
    @Option(help: ArgumentHelp("Mode of the unix socket (octal); whoever can write to it can claim any client certificate.", valueName: "MODE")) var socketMode: String = "660"
    @Option(help: ArgumentHelp("Seconds a connection may stay silent, and a request body may take (then 408).", valueName: "SECONDS")) var readTimeout: Int = 10
    @Option(help: ArgumentHelp("Seconds SIGTERM waits for requests in flight before exiting anyway.", valueName: "SECONDS")) var drainSeconds: Int = 10
    @Option(help: ArgumentHelp("Authorization hook calls this process makes at once (default: --workers minus 1, at least 1); a request finding none free within 0.2 s is answered 503.", valueName: "N")) var authorizeConcurrency: Int?
    @Flag(name: .customLong("log-to-webserver"), help: "Also send each request's log line to the web server's error log (FastCGI stderr).") var logToWebServer = false

    func validate() throws {
        guard socket == nil || listen == nil else { throw ValidationError("give at most one of --socket and --listen") }
        guard (1...256).contains(workers) else { throw ValidationError("--workers must be 1-256") }
        guard (1...3600).contains(readTimeout) else { throw ValidationError("--read-timeout must be 1-3600") }
        guard (0...3600).contains(drainSeconds) else { throw ValidationError("--drain-seconds must be 0-3600") }
        if let n = authorizeConcurrency, !(1...workers).contains(n) { throw ValidationError("--authorize-concurrency must be 1-\(workers) (--workers)") }
        guard let m = UInt32(socketMode, radix: 8), m <= 0o777 else { throw ValidationError("--socket-mode must be octal, e.g. 660") }
    }

    func run() throws {
        // A SIGTERM during start-up (the socket is listening before the OCSP signers are made)
        // waits for the server's sigwait, in every thread started from here on.
        FastCGIServer.blockStopSignals()
        // First, before any thread starts: systemd's socket-activation variables are read and
        // unset, and a refused listener (LISTEN_FDS=2, ...) fails before any key is decrypted.
        let source: ListenerSource
        do { source = try ListenerSource.takeFromEnvironment(socket: socket, listen: listen) }
        catch let e as ServeError { throw CAError.internalFailure(e.description) }
        let location = try store.location
        // One keyring for every worker: each CA key is decrypted once per process.
        let keyring = try store.keyring()
        let keyGenerations = KeyGenerationGate()
        // Fail at start, not on the first request, when the store or passphrase is wrong;
        // keys under older protection are re-encrypted on the way.
        let probe = try location.openForServing()
        for ca in try probe.allCAs() where ca.encryptedKeyPEM != nil { _ = try keyring.signingKey(for: ca) }
        // A token key is loaded now if it can be; if not, the responder still starts and each
        // request needing it answers 503 with the reason until the token is back.
        for ca in try probe.allCAs() where ca.tokenKey != nil {
            do { _ = try keyring.signingKey(for: ca) } catch { warn((error as? CAError)?.reason ?? "\(error)") }
        }
        for name in try CAAdministration(CertificateAuthority(store: probe, keyring: keyring)).upgradeKeyProtection() {
            warn("CA '\(name)': key re-encrypted (\(keyring.preferredProtection?.rawValue ?? "?"))")
        }
        // OCSP: every CA with a key gets a delegated responder now, and again hourly when due.
        let renewal = OCSPSignerRenewal { CAAdministration(CertificateAuthority(store: try location.openForServing(), keyring: keyring)) }
        let mode = UInt32(socketMode, radix: 8)!

        let fd: Int32
        do {
            switch source {
            // --listen without a colon is a unix socket path too (libfcgi's rule): same mode.
            case .open(let spec): fd = try FastCGIServer.openSocket(spec, unixMode: mode)
            // The .socket unit owns the socket file and its mode (SocketMode=, SocketGroup=).
            case .systemd(let activated): fd = try FastCGIServer.activatedSocket(activated)
            case .inherited: fd = try FastCGIServer.inheritedSocket()
            }
        } catch let e as ServeError { throw CAError.internalFailure(e.description) }
        // With the socket listening: a web server that waits for it may connect now, and its
        // requests wait in the backlog while each CA's signer (a key and a write each) is made.
        renewal.runOnce()
        var options = FastCGIServer.Options()
        options.workers = workers
        options.logToWebServer = logToWebServer
        options.readTimeoutSeconds = readTimeout
        options.drainSeconds = drainSeconds
        // One parsed copy of the CAs and profiles for the whole process. SQLite: one writer
        // and a read connection per worker; PostgreSQL: a connection per worker.
        let pool = try location.pool()
        let materials = CAMaterialCache()
        let server = FastCGIServer(listenFD: fd, options: options) {
            ESTService(authority: CertificateAuthority(store: try pool.makeStore(), keyring: keyring,
                                                       keyGenerations: keyGenerations, materials: materials))
        }
        // Event notifications (the outbox): delivered by a thread of this process with a
        // store connection of its own.
        let notifications = NotificationLoop { try NotifyCommand.store(store) }
        server.metrics.addSource { [metrics = notifications.metrics] in metrics.render() }
        defer {
            // After the drain: the audit rows still queued are committed before exit.
            let lost = pool.close()
            if lost > 0 { warn("\(lost) audit record(s) could not be written") }
        }
        // A hook that hangs holds at most this many workers; the others keep serving.
        AuthorizationHookGate.shared.setLimit(authorizeConcurrency ?? max(1, workers - 1))
        server.metrics.addSource { AuthorizationHookGate.shared.metricsText() }
        renewal.startHourly()
        notifications.start()
        defer { notifications.finish(waiting: NotificationDeliverer.timeoutSeconds + 2) }
        try server.run()
    }
}
