import CSQLite
import Foundation

/// A value bound to or read from SQLite.
public enum SQLValue: Equatable, Sendable {
    case null
    case integer(Int64)
    case real(Double)
    case text(String)
    case blob(Data)
}

public protocol SQLBindable { var sqlValue: SQLValue { get } }
extension Int: SQLBindable { public var sqlValue: SQLValue { .integer(Int64(self)) } }
extension Int64: SQLBindable { public var sqlValue: SQLValue { .integer(self) } }
extension Bool: SQLBindable { public var sqlValue: SQLValue { .integer(self ? 1 : 0) } }
extension String: SQLBindable { public var sqlValue: SQLValue { .text(self) } }
extension Data: SQLBindable { public var sqlValue: SQLValue { .blob(self) } }
extension SQLValue: SQLBindable { public var sqlValue: SQLValue { self } }
extension Optional: SQLBindable where Wrapped: SQLBindable {
    public var sqlValue: SQLValue { self?.sqlValue ?? .null }
}

public struct SQLiteError: Error, CustomStringConvertible, Sendable {
    public let code: Int32
    public let message: String
    public var description: String { "SQLite error \(code): \(message)" }
    /// SQLITE_CONSTRAINT (any extended code): a UNIQUE, FOREIGN KEY or CHECK violation.
    public var isConstraintViolation: Bool { code & 0xff == SQLITE_CONSTRAINT }
}

/// One row of a result, by column name.
public struct Row: Sendable {
    public let columns: [String: SQLValue]

    public subscript(_ name: String) -> SQLValue { columns[name] ?? .null }

    public func int(_ name: String) -> Int64? {
        if case .integer(let v) = self[name] { return v }
        return nil
    }
    public func string(_ name: String) -> String? {
        if case .text(let v) = self[name] { return v }
        return nil
    }
    public func data(_ name: String) -> Data? {
        switch self[name] {
        case .blob(let v): return v
        case .text(let v): return Data(v.utf8)
        default: return nil
        }
    }
    public func bool(_ name: String) -> Bool { (int(name) ?? 0) != 0 }
}

/// One connection. Not shared between threads: each worker opens its own (WAL lets
/// them, and other processes, read while one writes).
public final class Database {
    private let handle: OpaquePointer
    private var statements: [String: Statement] = [:]
    private var transactionDepth = 0
    public let path: String

    /// Opens (creating when `create`) the database at `path`. A new file is created with
    /// mode 0600 before SQLite touches it; its -wal and -shm files inherit that mode.
    public init(path: String, create: Bool = true, busyTimeoutMilliseconds: Int32 = 10_000) throws {
        self.path = path
        if create, !FileManager.default.fileExists(atPath: path) {
            let fd = open(path, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0o600)
            if fd >= 0 { close(fd) } else if errno != EEXIST {
                throw SQLiteError(code: SQLITE_CANTOPEN, message: "cannot create \(path): \(String(cString: strerror(errno)))")
            }
        }
        var db: OpaquePointer?
        let flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX | (create ? SQLITE_OPEN_CREATE : 0)
        let rc = sqlite3_open_v2(path, &db, flags, nil)
        guard rc == SQLITE_OK, let db else {
            let message = db.map { String(cString: sqlite3_errmsg($0)) } ?? "out of memory"
            if let db { sqlite3_close_v2(db) }
            throw SQLiteError(code: rc, message: "cannot open \(path): \(message)")
        }
        handle = db
        sqlite3_busy_timeout(db, busyTimeoutMilliseconds)
        sqlite3_extended_result_codes(db, 1)
        // WAL: readers never block the writer; synchronous=FULL: a commit survives power loss.
        _ = try query("PRAGMA journal_mode=WAL")
        try execute("PRAGMA synchronous=FULL")
        try execute("PRAGMA foreign_keys=ON")
    }

    deinit {
        statements.removeAll()
        sqlite3_close_v2(handle)
    }

    private func error(_ rc: Int32) -> SQLiteError {
        SQLiteError(code: rc, message: String(cString: sqlite3_errmsg(handle)))
    }

    /// A cached prepared statement for `sql`.
    private func statement(_ sql: String) throws -> Statement {
        if let s = statements[sql] { return s }
        var stmt: OpaquePointer?
        let rc = sqlite3_prepare_v3(handle, sql, -1, UInt32(SQLITE_PREPARE_PERSISTENT), &stmt, nil)
        guard rc == SQLITE_OK, let stmt else { throw error(rc) }
        let s = Statement(stmt)
        statements[sql] = s
        return s
    }

    /// Runs one statement with bound parameters; returns the rows it produced.
    @discardableResult
    public func query(_ sql: String, _ params: [any SQLBindable] = []) throws -> [Row] {
        let s = try statement(sql)
        defer { s.reset() }
        for (i, p) in params.enumerated() {
            let rc = s.bind(p.sqlValue, at: Int32(i + 1))
            guard rc == SQLITE_OK else { throw error(rc) }
        }
        var rows: [Row] = []
        while true {
            let rc = sqlite3_step(s.stmt)
            if rc == SQLITE_DONE { break }
            guard rc == SQLITE_ROW else { throw error(rc) }
            rows.append(s.row())
        }
        return rows
    }

    public func execute(_ sql: String, _ params: [any SQLBindable] = []) throws {
        try query(sql, params)
    }

    public func scalar(_ sql: String, _ params: [any SQLBindable] = []) throws -> SQLValue {
        try query(sql, params).first?.columns.values.first ?? .null
    }

    public var lastInsertRowID: Int64 { sqlite3_last_insert_rowid(handle) }
    public var changes: Int { Int(sqlite3_changes(handle)) }

    /// Runs `body` in one transaction: all of it commits or none of it does. Writers take
    /// the lock up front (BEGIN IMMEDIATE) so a read-then-write never deadlocks another
    /// process. Nested calls join the outer transaction.
    public func transaction<T>(_ body: () throws -> T) throws -> T {
        if transactionDepth > 0 {
            transactionDepth += 1
            defer { transactionDepth -= 1 }
            return try body()
        }
        try execute("BEGIN IMMEDIATE")
        transactionDepth = 1
        do {
            let result = try body()
            transactionDepth = 0
            try execute("COMMIT")
            return result
        } catch {
            transactionDepth = 0
            try? execute("ROLLBACK")
            throw error
        }
    }
}

/// A prepared statement, owned by its Database's cache.
final class Statement {
    let stmt: OpaquePointer
    private var names: [String]?

    init(_ stmt: OpaquePointer) { self.stmt = stmt }
    deinit { sqlite3_finalize(stmt) }

    func reset() {
        sqlite3_reset(stmt)
        sqlite3_clear_bindings(stmt)
    }

    func bind(_ value: SQLValue, at index: Int32) -> Int32 {
        switch value {
        case .null: return sqlite3_bind_null(stmt, index)
        case .integer(let v): return sqlite3_bind_int64(stmt, index, v)
        case .real(let v): return sqlite3_bind_double(stmt, index, v)
        case .text(let v): return sqlite3_bind_text(stmt, index, v, -1, estfcgi_sqlite_transient())
        case .blob(let v):
            return v.withUnsafeBytes { buf in
                // A zero-length blob needs a non-NULL pointer, or SQLite stores NULL.
                sqlite3_bind_blob(stmt, index, buf.baseAddress ?? UnsafeRawPointer(bitPattern: 1), Int32(buf.count),
                                  estfcgi_sqlite_transient())
            }
        }
    }

    func row() -> Row {
        let count = sqlite3_column_count(stmt)
        if names == nil {
            names = (0..<count).map { String(cString: sqlite3_column_name(stmt, $0)) }
        }
        var columns: [String: SQLValue] = [:]
        for i in 0..<count {
            let value: SQLValue
            switch sqlite3_column_type(stmt, i) {
            case SQLITE_INTEGER: value = .integer(sqlite3_column_int64(stmt, i))
            case SQLITE_FLOAT: value = .real(sqlite3_column_double(stmt, i))
            case SQLITE_TEXT: value = .text(String(cString: sqlite3_column_text(stmt, i)))
            case SQLITE_BLOB:
                let n = Int(sqlite3_column_bytes(stmt, i))
                if n > 0, let p = sqlite3_column_blob(stmt, i) { value = .blob(Data(bytes: p, count: n)) }
                else { value = .blob(Data()) }
            default: value = .null
            }
            columns[names![Int(i)]] = value
        }
        return Row(columns: columns)
    }
}
