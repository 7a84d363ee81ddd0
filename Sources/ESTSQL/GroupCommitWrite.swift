import Foundation

/// One write of a group, as an engine's group runner sees it (`GroupCommitQueue`).
public final class GroupCommitWrite<Connection>: @unchecked Sendable {
    private let body: (Connection) throws -> Void
    /// Why this write failed on its own (set by the runner); nil when it ran, or has not.
    public var error: (any Error)?
    /// Set (under the queue's lock) once the transaction that held it committed or failed.
    var done = false
    /// Signalled once: when `done`, or (not `done`) to make its worker lead the next group.
    let woken = DispatchSemaphore(value: 0)

    init(_ body: @escaping (Connection) throws -> Void) {
        self.body = body
    }

    /// Runs the write on the group's connection; the runner catches what it throws.
    public func run(_ connection: Connection) throws { try body(connection) }
}
