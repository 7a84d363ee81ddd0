import ESTCA
import ESTPostgresStore
import ESTSQL
import ESTSQLiteStore
import Foundation

/// Where the store is: the one place that tells a SQLite file from a PostgreSQL database.
/// `--db` / `ESTFCGI_DB` is a file path, or a `postgresql://` (or `postgres://`) URI in
/// libpq's syntax, e.g. `postgresql:///estfcgi?host=/run/postgresql`. Every command
/// (init, the admin commands, serve, doctor, CGI, store copy) opens its store here.
enum StoreLocation: CustomStringConvertible {
    case sqlite(path: String)
    case postgres(conninfo: String)

    init(_ value: String) throws {
        guard PostgresCAStore.isURI(value) else {
            self = .sqlite(path: value)
            return
        }
        let parameters = try PostgresCAStore.parameters(of: value)
        // A URI is seen by every user of the host (ps, /proc/PID/cmdline) and lands in
        // shell histories and unit files: the password goes where only its owner reads it.
        if let password = parameters["password"], !password.isEmpty {
            throw CAError.badRequest("--db: the URI holds a password; remove it and put it in ~/.pgpass (or the file PGPASSFILE names, mode 0600), or name a service file entry (?service=NAME)")
        }
        self = .postgres(conninfo: value)
    }

    var description: String {
        switch self {
        case .sqlite(let path): return path
        case .postgres(let conninfo): return conninfo
        }
    }

    var isPostgres: Bool { if case .postgres = self { return true } else { return false } }

    /// The store's refusals and failures (StoreError) as the authority answers them: the
    /// CLI's exit line, and a CGI request's status when the store cannot be opened.
    private func answered<T>(_ body: () throws -> T) throws -> T {
        do { return try body() } catch let e as StoreError { throw CAError(e) }
    }

    func open(create: Bool = false) throws -> any CAStore & VersionedStore {
        try answered { try opened(create: create) }
    }

    private func opened(create: Bool) throws -> any CAStore & VersionedStore {
        switch self {
        case .sqlite(let path): return try SQLiteCAStore(path: path, create: create)
        case .postgres(let conninfo): return try PostgresCAStore(conninfo: conninfo, create: create)
        }
    }

    /// A connection of its own, below the store (for `store copy`).
    func connection() throws -> any SQLConnection {
        try answered {
            switch self {
            case .sqlite(let path): return try SQLiteCAStore.connection(path: path)
            case .postgres(let conninfo): return try PostgresCAStore.connection(conninfo: conninfo)
            }
        }
    }

    /// The store `serve` checks before it opens its socket: on SQLite after PRAGMA quick_check.
    func openForServing() throws -> any CAStore {
        try answered { try probed() }
    }

    private func probed() throws -> any CAStore {
        switch self {
        case .sqlite(let path):
            let probe = try SQLiteCAStore(path: path)
            if let damage = try probe.quickCheck() {
                throw CAError.internalFailure("store \(path) is damaged (PRAGMA quick_check: \(damage)); restore it from a backup")
            }
            return probe
        case .postgres(let conninfo):
            return try PostgresCAStore(conninfo: conninfo)
        }
    }

    /// What `serve`'s workers open their stores from: one shared writer (group commit) and
    /// a read connection per worker, on SQLite and on PostgreSQL.
    func pool() throws -> any StorePool {
        try answered {
            switch self {
            case .sqlite(let path): return try SQLiteStorePool(path: path)
            case .postgres(let conninfo): return try PostgresStorePool(conninfo: conninfo)
            }
        }
    }
}

/// A store that reports its schema version (`init` prints it).
protocol VersionedStore { var schemaVersion: Int { get throws } }
extension SQLiteCAStore: VersionedStore {}
extension PostgresCAStore: VersionedStore {}

/// A `serve` process's stores.
protocol StorePool: Sendable {
    associatedtype Store: CAStore
    func makeStore() throws -> Store
    /// Commits what waits and stops; returns how many queued audit records were lost.
    func close() -> Int
}
extension SQLiteStorePool: StorePool {}
extension PostgresStorePool: StorePool {}
