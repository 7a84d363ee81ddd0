import ESTCA
import Foundation
import Synchronization

/// `serve`'s delivery loop: a thread of its own running a pass of the outbox every second
/// (the next one at once when a pass delivered a full batch), pruning delivered events once a
/// minute. A stop lets the POST in flight finish (at most the deliverer's timeout) and frees
/// the lease, so the next `serve` goes on at once.
final class NotificationLoop: @unchecked Sendable {
    static let intervalSeconds = 1.0
    static let pruneEverySeconds = 60.0

    private let makeStore: () throws -> any NotificationStore
    let metrics = NotificationMetrics()
    private let stop = Atomic<Bool>(false)
    private let done = DispatchSemaphore(value: 0)
    private var thread: Thread?

    init(makeStore: @escaping () throws -> any NotificationStore) {
        self.makeStore = makeStore
    }

    func start() {
        let thread = Thread { [self] in
            run()
            done.signal()
        }
        thread.name = "estfcgi-notify"
        thread.start()
        self.thread = thread
    }

    /// Asks the loop to stop and waits up to `seconds` for it.
    func finish(waiting seconds: Int) {
        guard thread != nil else { return }
        stop.store(true, ordering: .sequentiallyConsistent)
        _ = done.wait(timeout: .now() + .seconds(seconds))
    }

    private var stopping: Bool { stop.load(ordering: .sequentiallyConsistent) }

    private func run() {
        var deliverer: NotificationDeliverer? = nil
        var lastPrune = Date.distantPast
        var lastError = ""
        while !stopping {
            var again = false
            do {
                if deliverer == nil {
                    deliverer = NotificationDeliverer(
                        store: try makeStore(), transport: CurlNotificationTransport(), metrics: metrics,
                        log: { warn($0) }, stopping: { [weak self] in self?.stopping ?? true })
                }
                if let d = deliverer {
                    let result = try d.runOnce()
                    again = result.delivered > 0 && result.failures.isEmpty && result.backlog > result.delivered
                    if Date().timeIntervalSince(lastPrune) >= Self.pruneEverySeconds {
                        lastPrune = Date()
                        _ = try d.prune()
                    }
                }
                lastError = ""
            } catch {
                // A store that is down: said once, tried again each interval on a fresh connection.
                let message = "notification delivery: \((error as? CAError)?.reason ?? "\(error)")"
                if message != lastError { warn(message) }
                lastError = message
                deliverer = nil
            }
            if !again { sleepInterval() }
        }
    }

    private func sleepInterval() {
        var left = Self.intervalSeconds
        while left > 0, !stopping {
            Thread.sleep(forTimeInterval: min(0.1, left))
            left -= 0.1
        }
    }
}
