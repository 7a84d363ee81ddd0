import ESTCore
import ESTOpenSSL
import Foundation

/// Delivers the outbox (NotificationStore): for each receiver with a backlog, takes its
/// lease, POSTs its events oldest first, marks them delivered, and on a failure records
/// it and backs off (that receiver only: the others go on). One pass at a time per
/// deliverer; `serve` runs passes on a thread of its own, `notify run --once` one pass.
///
/// At least once: an event is marked after its 2xx, so a deliverer killed between the two
/// sends it again (same body, same id); receivers deduplicate on the CloudEvents `id`.
/// In order: a receiver's events go one at a time, the next only after the previous one's
/// 2xx, under the receiver's lease.
public final class NotificationDeliverer: @unchecked Sendable {
    /// A lease outlives the longest POST (`timeoutSeconds`) plus the time between renewals.
    public static let leaseSeconds = 30.0
    public static let timeoutSeconds = 10
    /// Deliveries are marked (and the lease renewed) at least this often during a batch: a
    /// deliverer killed mid-batch leaves at most this much to be sent twice.
    static let markEverySeconds = 1.0
    static let batch = 100
    /// Back-off after the Nth failure in a row: 2^(N-1) seconds, at most this.
    public static let maxBackoffSeconds = 300.0
    /// The outbox keeps at most this many delivered events (older ones are pruned); an
    /// event still owed to a receiver is never pruned.
    public static let keepDelivered = 10_000
    /// The shortest secret a `--secret-file` may hold, in bytes (its first line's, as they
    /// are: the HMAC key is those bytes, UTF-8 or not).
    public static let minimumSecretLength = 16
    public static let signatureHeader = "X-EST-Signature"
    public static let contentType = "application/cloudevents+json; charset=utf-8"

    public struct PassResult: Sendable {
        public var delivered = 0
        public var failures: [(receiver: Int64, error: String)] = []
        /// Receivers skipped because another deliverer holds them (or they are backing off).
        public var busy = 0
        public var backlog = 0
    }

    let store: any NotificationStore
    let transport: any NotificationTransport
    let metrics: NotificationMetrics?
    let now: @Sendable () -> Date
    let log: @Sendable (String) -> Void
    let host: String
    let stopping: @Sendable () -> Bool

    public init(store: any NotificationStore, transport: any NotificationTransport, metrics: NotificationMetrics? = nil,
                now: @escaping @Sendable () -> Date = { Date() }, log: @escaping @Sendable (String) -> Void = { _ in },
                stopping: @escaping @Sendable () -> Bool = { false }) {
        self.store = store
        self.transport = transport
        self.metrics = metrics
        self.now = now
        self.log = log
        self.stopping = stopping
        var name = [CChar](repeating: 0, count: 256)
        gethostname(&name, name.count - 1)
        let h = String(decoding: name.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        // The PID namespace too: two containers may share a host name, not their PIDs.
        let namespace = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/ns/pid")) ?? ""
        canJudgeLiveness = !namespace.isEmpty
        host = ((h.isEmpty ? "localhost" : h) + "/" + namespace).replacingOccurrences(of: " ", with: "_")
    }

    /// Whether a lease holder of this host can be found dead (its PID namespace is known).
    let canJudgeLiveness: Bool

    /// `host/pidns pid nonce`: whose lease it is, so that a deliverer of the same host (and
    /// PID namespace) can take over at once from one that died (kill -9) instead of waiting
    /// for the lease to expire.
    func newToken() -> String {
        let nonce = (try? SecureRandom.bytes(8).hexString) ?? String(UInt64.random(in: 0...UInt64.max), radix: 16)
        return "\(host) \(getpid()) \(nonce)"
    }

    /// The holder's token when it is a process of this host that no longer exists.
    func deadHolder(_ token: String?) -> String? {
        guard let token, canJudgeLiveness else { return nil }
        let parts = token.split(separator: " ")
        guard parts.count == 3, parts[0] == host, let pid = Int32(parts[1]), pid > 0, pid != getpid() else { return nil }
        return kill(pid, 0) != 0 && errno == ESRCH ? token : nil
    }

    /// One pass over every receiver with a backlog. `ignoringBackoff`: try each now (`notify
    /// run --once`: the operator, or cron, asked for it).
    public func runOnce(ignoringBackoff: Bool = false) throws -> PassResult {
        var result = PassResult()
        let receivers = try store.notificationReceivers()
        for receiver in receivers where receiver.backlog > 0 {
            if stopping() { break }
            result.backlog += receiver.backlog
            try deliver(to: receiver, ignoringBackoff: ignoringBackoff, &result)
        }
        metrics?.observe(backlog: try store.notificationReceivers().reduce(0) { $0 + $1.backlog }, receivers: receivers.count)
        return result
    }

    public func prune() throws -> Int { try store.pruneNotifications(keepingDelivered: Self.keepDelivered) }

    private func deliver(to r: NotificationReceiver, ignoringBackoff: Bool, _ result: inout PassResult) throws {
        let token = newToken()
        guard let receiver = try store.leaseNotificationReceiver(
            id: r.id, token: token, until: now().addingTimeInterval(Self.leaseSeconds), ignoringBackoff: ignoringBackoff,
            replacingDead: deadHolder(r.leaseHolder), now: now()) else {
            result.busy += 1
            return
        }
        var released = false
        defer { if !released { try? store.releaseNotificationLease(receiver: receiver.id, token: token) } }
        let secret: Data?
        do { secret = try receiver.secretFile.map { Data(try PassphraseFile.firstLine($0, minimumLength: Self.minimumSecretLength)) } }
        catch {
            try fail(receiver, token, "secret file: \((error as? CAError)?.reason ?? "\(error)")",
                     failuresBefore: receiver.failures, &result)
            released = true
            return
        }
        var unmarked: [Int64] = []
        var lastMark = now()
        // A failure after deliveries in this pass is the first in a row (they reset the count).
        var failuresBefore = receiver.failures
        func mark() throws -> Bool {
            guard !unmarked.isEmpty else { return true }
            let ok = try store.markNotificationsDelivered(receiver: receiver.id, sequences: unmarked, token: token,
                                                          leaseUntil: now().addingTimeInterval(Self.leaseSeconds), now: now())
            if ok { result.delivered += unmarked.count; metrics?.record(delivered: unmarked.count); failuresBefore = 0 }
            else { log("notification receiver \(receiver.id): lease lost; another deliverer goes on") }
            unmarked = []
            lastMark = now()
            return ok
        }
        while !stopping() {
            let events = try store.pendingNotifications(receiver: receiver.id, limit: Self.batch)
            if events.isEmpty { break }
            for event in events {
                if stopping() { _ = try mark(); return }
                if now().timeIntervalSince(lastMark) >= Self.markEverySeconds, try !mark() { released = true; return }
                if let error = post(event, to: receiver, secret: secret) {
                    _ = try mark()
                    try fail(receiver, token, error, failuresBefore: failuresBefore, &result)
                    released = true
                    return
                }
                unmarked.append(event.sequence)
            }
            guard try mark() else { released = true; return }
        }
        _ = try mark()
    }

    /// nil when delivered; else why not.
    private func post(_ event: OutboxNotification, to receiver: NotificationReceiver, secret: Data?) -> String? {
        let body = Data(event.body.utf8)
        var headers = [("Content-Type", Self.contentType)]
        if let secret { headers.append((Self.signatureHeader, Self.signature(body: body, secret: secret))) }
        do {
            let status = try transport.post(url: receiver.url, body: body, headers: headers, caFile: receiver.caFile,
                                            timeoutSeconds: Self.timeoutSeconds)
            return (200...299).contains(status) ? nil : "HTTP \(status) for event \(event.eventID)"
        } catch {
            return "\(error) (event \(event.eventID))"
        }
    }

    /// `sha256=HEX`: HMAC-SHA256 of the exact body under the receiver's secret.
    public static func signature(body: Data, secret: Data) -> String {
        "sha256=" + HMAC.sha256(key: secret, data: body).hexString
    }

    private func fail(_ receiver: NotificationReceiver, _ token: String, _ error: String, failuresBefore: Int,
                      _ result: inout PassResult) throws {
        let delay = Self.backoff(afterFailures: failuresBefore + 1)
        try store.markNotificationFailed(receiver: receiver.id, token: token, error: error,
                                         retryAt: now().addingTimeInterval(delay), now: now())
        metrics?.recordFailure()
        result.failures.append((receiver.id, error))
        log("notification receiver \(receiver.id) (\(receiver.url)): \(error); next attempt in \(Int(delay))s")
    }

    /// 1, 2, 4 ... seconds after the 1st, 2nd, 3rd ... failure in a row, at most 5 minutes.
    public static func backoff(afterFailures n: Int) -> Double {
        min(Self.maxBackoffSeconds, pow(2.0, Double(min(max(n, 1), 20) - 1)))
    }
}
