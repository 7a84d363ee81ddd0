/// Thrown by `GroupCommitQueue.perform` once `close()` has begun (the store maps it to 503,
/// "the responder is stopping").
public struct GroupCommitClosed: Error, CustomStringConvertible {
    public init() {}
    public var description: String { "the store is closing" }
}
