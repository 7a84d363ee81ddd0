import Foundation

/// Where `serve` takes its listen socket from: the decision is pure (arguments and
/// environment in, a choice or a refusal out), so that it is tested without sockets.
public enum ListenerSource: Equatable, Sendable {
    /// `--socket PATH` or `--listen HOST:PORT`: serve opens the socket itself.
    case open(String)
    /// A socket-activated listener handed over by systemd (`LISTEN_FDS=1`): fd 3.
    case systemd(fd: Int32)
    /// The listen socket on fd 0 (spawn-fcgi, mod_fcgid): the default with no option.
    case inherited

    /// systemd's first passed descriptor (`SD_LISTEN_FDS_START`).
    public static let systemdFirstFD: Int32 = 3
    /// The variables of the socket-activation protocol; serve unsets them once read, as
    /// `sd_listen_fds(1)` does, so that nothing the process starts takes them for its own.
    public static let activationVariables = ["LISTEN_PID", "LISTEN_FDS", "LISTEN_FDNAMES"]

    /// `choose` on this process's environment and pid; the activation variables are then
    /// unset, whatever they said, as `sd_listen_fds(1)` does. Call it before any thread starts.
    public static func takeFromEnvironment(socket: String?, listen: String?) throws -> ListenerSource {
        var environment: [String: String] = [:]
        for name in activationVariables {
            if let value = getenv(name) { environment[name] = String(cString: value) }
            unsetenv(name)
        }
        return try choose(socket: socket, listen: listen, environment: environment, pid: getpid())
    }

    /// Chooses the listener as `sd_listen_fds` reads the environment (without libsystemd):
    /// no `LISTEN_PID`, or one naming another process (a parent's leftover), means no
    /// socket activation; a `LISTEN_PID` that is no pid, a `LISTEN_FDS` that is no positive
    /// count, or more than one descriptor is refused, and so is a socket-activated
    /// listener together with `--socket`/`--listen` (the unit and the command disagree).
    public static func choose(socket: String?, listen: String?, environment: [String: String], pid: Int32) throws -> ListenerSource {
        let spec = socket ?? listen
        guard let pidText = environment["LISTEN_PID"] else { return spec.map(ListenerSource.open) ?? .inherited }
        guard let listenPID = Int32(pidText), listenPID > 0 else {
            throw ServeError("LISTEN_PID=\(pidText) is not a process id (socket activation)")
        }
        guard listenPID == pid else { return spec.map(ListenerSource.open) ?? .inherited }
        guard let countText = environment["LISTEN_FDS"] else { return spec.map(ListenerSource.open) ?? .inherited }
        guard let count = Int(countText), count > 0 else {
            throw ServeError("LISTEN_FDS=\(countText) is not a positive number of sockets (socket activation)")
        }
        guard count == 1 else {
            throw ServeError("systemd passed \(count) sockets (LISTEN_FDS=\(count)); estfcgi serve takes exactly one: give its .socket unit a single ListenStream=")
        }
        if let spec {
            throw ServeError("a socket-activated listener (LISTEN_FDS=1) and \(socket != nil ? "--socket" : "--listen") \(spec) were both given: drop the option from ExecStart, or the .socket unit")
        }
        return .systemd(fd: systemdFirstFD)
    }
}
