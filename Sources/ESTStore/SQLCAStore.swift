import ESTCA
import ESTSQL
import Foundation

/// The CA store, written once for every engine (SQLite, PostgreSQL): the same statements,
/// the same checks in the same transactions, the same row mapping (StoreRecords). An engine
/// subclass (SQLiteCAStore, PostgresCAStore) opens the connection and gives the transaction
/// runner (`SQLStoreEngine`); the dialect gives what the SQL cannot share.
///
/// Concurrency, on both: each write is one transaction that first locks what its checks
/// read (`SELECT ... FOR NO KEY UPDATE` on the certificate being replaced and the device
/// being claimed, advisory locks on a bootstrap certificate's use count and a requester's
/// pending requests) where writers run side by side (PostgreSQL); SQLite's single writer
/// is serial already, and its dialect gives no lock clauses. Conditional updates (`WHERE
/// status = 'valid'`) re-check the row they change; unique indexes settle what is inserted
/// at once (serials, device names, open requests).
open class SQLCAStore: CAStore {
    public let engine: any SQLStoreEngine
    var ownConnection: any SQLConnection { engine.connection }

    public init(engine: any SQLStoreEngine) { self.engine = engine }

    /// Runs reads (each statement on its own, or inside the caller's transaction).
    package func read<T>(_ body: (any SQLConnection) throws -> T) throws -> T {
        do { return try body(ownConnection) } catch { throw mapped(error) }
    }

    /// Runs `body` in one write transaction on the store's connection.
    package func write<T>(_ body: (any SQLConnection) throws -> T) throws -> T {
        do { return try engine.write(body) } catch { throw mapped(error) }
    }

    /// Runs `body` in the request path's transaction (SQLite: the group-commit writer).
    package func commit<T>(_ body: @escaping (any SQLConnection) throws -> T) throws -> T {
        do { return try engine.commit(body) } catch { throw mapped(error) }
    }

    /// The engine's failures as the authority's errors; a damaged row names its column.
    package func mapped(_ error: any Error) -> any Error {
        if let e = engine.failure(error) { return e }
        if let e = error as? SQLColumnError { return StoreError.failed("store holds an unreadable row: \(e)") }
        if let e = error as? MigrationError { return StoreError.failed(e.message) }
        return error
    }

    /// The schema version the store is at.
    public var schemaVersion: Int { get throws { try read { try migrator.currentVersion(of: $0) } } }

    /// The engine's schema history (each subclass gives its own).
    open var migrator: Migrator { Migrator([]) }

    public func materialVersion() throws -> Int64 {
        try read { db in
            guard case .integer(let v) = try db.value("SELECT value FROM material_version WHERE id = 1") else {
                throw StoreRecords.unreadable("material version", "no row")
            }
            return v
        }
    }

    /// The clause that locks the rows a SELECT reads, on engines with concurrent writers.
    static func lock(_ db: any SQLConnection, _ mode: SQLRowLock) -> String { db.dialect.rowLock(mode) }
}
