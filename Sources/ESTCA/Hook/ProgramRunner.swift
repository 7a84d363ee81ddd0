internal import CSpawn
import Foundation

/// Runs a program without a shell: `path` alone as argv, `input` on its stdin, stdout read
/// up to `outputLimit` bytes (the rest drained and dropped so the program never blocks on
/// a full pipe), stderr shared with this process (the responder's log). It gets a minimal
/// environment (PATH only: a CGI process's environment is the request's), no other
/// descriptor of this process (not the FastCGI socket, not the store), default signal
/// handling and an empty signal mask (the responder blocks SIGTERM and ignores SIGPIPE),
/// and its own process group, which is killed (SIGKILL) when the deadline passes, and once
/// it has exited (whatever it left running).
/// Blocks only the calling thread.
public enum ProgramRunner {
    public static let environment = ["PATH=/usr/local/bin:/usr/bin:/bin"]

    public static func run(_ path: String, input: [UInt8], timeoutMilliseconds: Int, outputLimit: Int = 4096) -> ProgramRun {
        // A program that exits without reading its stdin makes our write raise SIGPIPE, which
        // kills a process that does not ignore it (serve and CGI do; a test or a tool may
        // not): blocked on this thread meanwhile, and a pending one taken before unblocking.
        var pipeSignal = sigset_t(), previous = sigset_t()
        sigemptyset(&pipeSignal)
        sigaddset(&pipeSignal, SIGPIPE)
        pthread_sigmask(SIG_BLOCK, &pipeSignal, &previous)
        defer {
            var none = timespec(tv_sec: 0, tv_nsec: 0)
            while sigtimedwait(&pipeSignal, nil, &none) == SIGPIPE {}
            pthread_sigmask(SIG_SETMASK, &previous, nil)
        }
        return runBlockingPipeSignal(path, input: input, timeoutMilliseconds: timeoutMilliseconds, outputLimit: outputLimit)
    }

    private static func runBlockingPipeSignal(_ path: String, input: [UInt8], timeoutMilliseconds: Int, outputLimit: Int) -> ProgramRun {
        let started = ContinuousClock.now
        let deadline = started + .milliseconds(timeoutMilliseconds)
        var toChild: [Int32] = [-1, -1]
        var fromChild: [Int32] = [-1, -1]
        guard estfcgi_pipe_cloexec(&toChild) == 0 else { return ProgramRun(end: .notStarted(lastError()), output: []) }
        guard estfcgi_pipe_cloexec(&fromChild) == 0 else {
            close(toChild[0]); close(toChild[1])
            return ProgramRun(end: .notStarted(lastError()), output: [])
        }
        var pid: pid_t = 0
        let spawned = spawn(path, stdin: toChild[0], stdout: fromChild[1], pid: &pid)
        close(toChild[0])
        close(fromChild[1])
        guard spawned == 0 else {
            close(toChild[1]); close(fromChild[0])
            return ProgramRun(end: .notStarted(String(cString: strerror(spawned))), output: [])
        }
        var writeFD = toChild[1]
        let readFD = fromChild[0]
        _ = fcntl(writeFD, F_SETFL, fcntl(writeFD, F_GETFL) | O_NONBLOCK)
        _ = fcntl(readFD, F_SETFL, fcntl(readFD, F_GETFL) | O_NONBLOCK)
        var output: [UInt8] = []
        var written = 0
        var readOpen = true
        var status: Int32 = 0
        var exited = false
        if input.isEmpty { close(writeFD); writeFD = -1 }
        var chunk = [UInt8](repeating: 0, count: 4096)
        // Until the program exited and its output ended, or the deadline.
        while !(exited && !readOpen) {
            let left = deadline - ContinuousClock.now
            if left <= .zero { break }
            if exited {
                // A program that exited but left a child holding stdout: take what is
                // there now and stop reading.
                _ = drain(readFD, into: &output, limit: outputLimit, chunk: &chunk)
                readOpen = false
                break
            }
            var fds: [pollfd] = []
            if readOpen { fds.append(pollfd(fd: readFD, events: Int16(POLLIN), revents: 0)) }
            if writeFD >= 0 { fds.append(pollfd(fd: writeFD, events: Int16(POLLOUT), revents: 0)) }
            // Wake at least every 20 ms to notice an exit whose output is still held open.
            let ms = Int32(max(1, min(20, left.components.seconds * 1000 + left.components.attoseconds / 1_000_000_000_000_000)))
            _ = poll(&fds, nfds_t(fds.count), ms)
            for p in fds where p.revents != 0 {
                if p.fd == readFD {
                    if !drain(readFD, into: &output, limit: outputLimit, chunk: &chunk) { readOpen = false }
                } else if p.fd == writeFD {
                    let n = input.withUnsafeBytes { write(writeFD, $0.baseAddress! + written, input.count - written) }
                    if n > 0 { written += n }
                    // Written, or the program closed its stdin (EPIPE: SIGPIPE is ignored here).
                    if written == input.count || (n < 0 && errno != EAGAIN && errno != EINTR) { close(writeFD); writeFD = -1 }
                }
            }
            if hasExited(pid) { exited = true }
        }
        if writeFD >= 0 { close(writeFD) }
        close(readFD)
        // Whatever is left of its process group is killed, at the deadline and after an exit
        // alike (a hook that left `sleep 600 &` behind would hold a process per enrollment).
        // The program is reaped only after: until then its pid, the group's id, cannot be
        // reused, so the kill reaches no one else.
        let timedOut = !exited && !hasExited(pid)
        kill(-pid, SIGKILL)
        if timedOut { kill(pid, SIGKILL) }
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        if timedOut { return ProgramRun(end: .timedOut(milliseconds: timeoutMilliseconds), output: output) }
        if estfcgi_exited(status) != 0 { return ProgramRun(end: .exited(estfcgi_exit_code(status)), output: output) }
        return ProgramRun(end: .signalled(estfcgi_term_signal(status)), output: output)
    }

    /// Whether `pid` has ended, without reaping it (WNOWAIT).
    private static func hasExited(_ pid: pid_t) -> Bool {
        var info = siginfo_t()
        return waitid(P_PID, id_t(pid), &info, WEXITED | WNOHANG | WNOWAIT) == 0 && estfcgi_siginfo_pid(&info) == pid
    }

    /// Reads what is there; false at end of file (or an error). Bytes over `limit` are dropped.
    private static func drain(_ fd: Int32, into output: inout [UInt8], limit: Int, chunk: inout [UInt8]) -> Bool {
        while true {
            let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n > 0 {
                output.append(contentsOf: chunk.prefix(max(0, min(n, limit - output.count))))
                continue
            }
            if n == 0 { return false }
            return errno == EAGAIN || errno == EINTR
        }
    }

    private static func spawn(_ path: String, stdin: Int32, stdout: Int32, pid: inout pid_t) -> Int32 {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, stdin, 0)
        posix_spawn_file_actions_adddup2(&actions, stdout, 1)
        estfcgi_spawn_closefrom(&actions, 3)
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var none = sigset_t()
        sigemptyset(&none)
        var all = sigset_t()
        sigfillset(&all)
        posix_spawnattr_setsigmask(&attributes, &none)
        posix_spawnattr_setsigdefault(&attributes, &all)
        posix_spawnattr_setpgroup(&attributes, 0)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETPGROUP))
        let argv: [UnsafeMutablePointer<CChar>?] = [strdup(path), nil]
        let envp: [UnsafeMutablePointer<CChar>?] = environment.map { strdup($0) } + [nil]
        defer { for p in argv + envp { free(p) } }
        return posix_spawn(&pid, path, &actions, &attributes, argv, envp)
    }

    private static func lastError() -> String { String(cString: strerror(errno)) }
}
