import Foundation

/// Bounds server-side key generation (RFC 7030 §4.4): an RSA-4096 key costs up to seconds
/// of CPU, so at most `limit` run at once in this process, and one at a time per client.
/// A request that would wait longer than `wait` is refused (503), so the other operations
/// keep their workers and cores.
public final class KeyGenerationGate: @unchecked Sendable {
    public let limit: Int
    let wait: TimeInterval
    private let slots: DispatchSemaphore
    private let lock = NSLock()
    private var clients: Set<String> = []

    /// By default one generation per core less one, at least one.
    public init(limit: Int = max(1, ProcessInfo.processInfo.activeProcessorCount - 1), wait: TimeInterval = 2) {
        self.limit = max(1, limit)
        self.wait = wait
        slots = DispatchSemaphore(value: self.limit)
    }

    /// Runs `body` holding a slot for `client` (e.g. its certificate's fingerprint).
    public func run<T>(for client: String, _ body: () throws -> T) throws -> T {
        let admitted = lock.withLock { clients.insert(client).inserted }
        guard admitted else {
            throw CAError.tooManyRequests("a server-side key generation for this client is already running")
        }
        defer { lock.withLock { _ = clients.remove(client) } }
        guard slots.wait(timeout: .now() + wait) == .success else {
            throw CAError.unavailable("all \(limit) server-side key generation slots are busy; retry later")
        }
        defer { slots.signal() }
        return try body()
    }
}
