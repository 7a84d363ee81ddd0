import ESTCA
import ESTPostgres
import ESTPostgresStore
import ESTSQLiteStore
import ESTSQL
import Foundation
import XCTest

/// A fresh, empty store on one backend, for one test: a file in a temporary directory, or
/// a schema of its own in the database ESTFCGI_TEST_PG names (dropped at the end). Every
/// store and pool it makes opens the same data, each with its own connection, as the
/// workers of one process or of two web hosts do.
final class StoreFactory {
    enum Backend: String { case sqlite, postgres }

    let backend: Backend
    private var dir: URL?
    private var schema: String?
    private var uri: String?
    private var sqlitePools: [SQLiteStorePool] = []
    private var postgresPools: [PostgresStorePool] = []

    /// Throws XCTSkip (after printing why) for PostgreSQL when ESTFCGI_TEST_PG is not set.
    init(_ backend: Backend) throws {
        self.backend = backend
        switch backend {
        case .sqlite:
            let dir = FileManager.default.temporaryDirectory.appendingPathComponent("estfcgi-contract-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
            self.dir = dir
        case .postgres:
            guard let uri = ProcessInfo.processInfo.environment["ESTFCGI_TEST_PG"], !uri.isEmpty else {
                Self.noticeOnce()
                throw XCTSkip("ESTFCGI_TEST_PG is not set")
            }
            let schema = "t_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased()
            try PGConnection(conninfo: uri).script("CREATE SCHEMA \(schema)")
            self.uri = uri
            self.schema = schema
        }
    }

    private static let notice: Void = {
        print("notice: PostgreSQL store tests skipped: set ESTFCGI_TEST_PG to a database URI (scripts/pg-cluster start prints one)")
    }()
    static func noticeOnce() { _ = notice }

    private var overrides: [String: String] { ["options": "-c search_path=\(schema ?? "public")"] }

    func makeStore(create: Bool = false) throws -> any CAStore {
        switch backend {
        case .sqlite: return try SQLiteCAStore(path: dir!.appendingPathComponent("ca.db").path, create: create)
        case .postgres: return try PostgresCAStore(conninfo: uri!, create: create, overrides: overrides)
        }
    }

    /// The PostgreSQL connection string and overrides of this test's schema (nil on SQLite).
    var postgresConninfo: (uri: String, overrides: [String: String])? { uri.map { ($0, overrides) } }

    /// A connection of its own to the store, below the CAStore protocol (as `store copy`'s).
    func connection() throws -> any SQLConnection {
        switch backend {
        case .sqlite: return try SQLiteCAStore.connection(path: dir!.appendingPathComponent("ca.db").path)
        case .postgres: return try PostgresCAStore.connection(conninfo: uri!, overrides: overrides)
        }
    }

    /// What one `serve` process uses: a pool (one group-commit writer for its stores, and
    /// a connection per store for reads).
    func pool() throws -> () throws -> any CAStore {
        switch backend {
        case .sqlite:
            let pool = try SQLiteStorePool(path: dir!.appendingPathComponent("ca.db").path)
            sqlitePools.append(pool)
            return { try pool.makeStore() }
        case .postgres:
            let pool = try PostgresStorePool(conninfo: uri!, overrides: overrides)
            postgresPools.append(pool)
            return { try pool.makeStore() }
        }
    }

    /// Commits what pools still hold (SQLite's queued audit rows); returns rows lost.
    func closePools() -> Int {
        defer { sqlitePools = []; postgresPools = [] }
        return sqlitePools.reduce(0) { $0 + $1.close() } + postgresPools.reduce(0) { $0 + $1.close() }
    }

    deinit {
        _ = closePools()
        if let dir { try? FileManager.default.removeItem(at: dir) }
        if let uri, let schema { try? PGConnection(conninfo: uri).script("DROP SCHEMA \(schema) CASCADE") }
    }
}
