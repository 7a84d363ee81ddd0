import ESTCA
import ESTSQL

/// What an engine gives the one store implementation (SQLCAStore): its connection, how it
/// runs a write transaction, and how its failures read to the authority. Everything else
/// (the SQL, the row mapping, the checks each write makes) is shared.
public protocol SQLStoreEngine: AnyObject {
    /// The store's own connection: reads, and the operator's writes.
    var connection: any SQLConnection { get }
    /// Runs `body` in one write transaction on `connection`: on SQLite BEGIN IMMEDIATE (the
    /// write lock up front); on PostgreSQL READ COMMITTED, run again after a deadlock or
    /// serialization failure (the body computes everything it writes itself).
    func write<T>(_ body: (any SQLConnection) throws -> T) throws -> T
    /// Runs `body` in the request path's write transaction and returns once it committed:
    /// on SQLite the process's group-commit writer (when it has one); else as `write`.
    func commit<T>(_ body: @escaping (any SQLConnection) throws -> T) throws -> T
    /// Queues a write that may wait for the next group commit; false when the engine has no
    /// queue (the caller then writes at once).
    func enqueue(_ write: @escaping (any SQLConnection) throws -> Void) -> Bool
    /// The engine's failure as the authority sees it (a full disk, a busy or unreachable
    /// store: 503), or nil when `error` is not the engine's.
    func failure(_ error: any Error) -> StoreError?
}
