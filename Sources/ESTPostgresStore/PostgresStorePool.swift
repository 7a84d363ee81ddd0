/// The store as one responder process uses it on PostgreSQL: a connection per worker, each
/// write its own transaction. No shared writer: PostgreSQL takes concurrent writers, and a
/// per-process queue would serialise what the server can run side by side.
public final class PostgresStorePool: @unchecked Sendable {
    let conninfo: String

    public init(conninfo: String) { self.conninfo = conninfo }

    /// A store (and connection) for one worker thread.
    public func makeStore() throws -> PostgresCAStore {
        try PostgresCAStore(conninfo: conninfo)
    }

    /// Nothing waits to be written: audit rows commit at once. Returns 0 (rows lost).
    public func close() -> Int { 0 }
}
