internal import CSQLite
import Foundation

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
        _ = Self.configured
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
        try query("PRAGMA journal_mode=WAL")
        try execute("PRAGMA synchronous=FULL")
        try execute("PRAGMA foreign_keys=ON")
        // Sub-journals in memory. A savepoint, and a statement inside a transaction, keep a
        // copy of each page they change for their own rollback; the group-commit writer runs
        // each write in a savepoint, and an enrollment's (certificate row, audit row, eight
        // indexes, their splits) is often past 16 pages, where SQLite's default (64 KiB)
        // moves the journal to a temporary file that then serves the rest of the
        // transaction: a third of the groups created and unlinked a file and wrote each
        // journalled page to it (two pwrite64), 5 pwrite64 per enrollment. The memory is what
        // one savepoint or statement changes (the journal restarts at each outermost
        // release); temporary tables and sorts, also in memory now, are bounded by results
        // that `query` holds in memory anyway. (A larger SQLITE_CONFIG_STMTJRNL_SPILL is not
        // the way: SQLite 3.40 fails such a spill past 128 KiB with SQLITE_FULL.)
        try execute("PRAGMA temp_store=MEMORY")
        // No mmap_size (measured, issue 24): in WAL mode a connection whose read transaction
        // sees another's commit drops its page cache and, with a mapping, unmaps the whole
        // file (sqlite3OsUnfetch); a worker's next read maps it again. Per keep-alive
        // enrollment that replaced 5.4 pread64 of the main file with 1.3 each of munmap (a
        // TLB shootdown across the process's threads), mmap and fstat, plus a page fault per
        // page, for no CPU gained within the spread; pages in the WAL are read with pread64
        // either way. And a mapped file turns an I/O error, or a file truncated under the
        // process, into SIGBUS (a crash of every worker) where pread64 gives SQLITE_IOERR.
    }

    /// The process-wide settings, made before the first connection (estfcgi_sqlite_configure).
    private static let configured: Int32 = estfcgi_sqlite_configure()

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
    public func query(_ sql: String, _ params: [any SQLBindable] = []) throws -> [SQLRow] {
        let s = try statement(sql)
        defer { s.reset() }
        for (i, p) in params.enumerated() {
            let rc = s.bind(p.sqlValue, at: Int32(i + 1))
            guard rc == SQLITE_OK else { throw error(rc) }
        }
        var rows: [SQLRow] = []
        while true {
            let rc = sqlite3_step(s.stmt)
            if rc == SQLITE_DONE { break }
            guard rc == SQLITE_ROW else { throw error(rc) }
            rows.append(s.row())
        }
        return rows
    }

    /// Runs one statement; returns how many rows it inserted, updated or deleted.
    @discardableResult
    public func execute(_ sql: String, _ params: [any SQLBindable] = []) throws -> Int {
        try query(sql, params)
        return changes
    }

    /// The first column of the first row (`.null` when there is no row).
    public func scalar(_ sql: String, _ params: [any SQLBindable] = []) throws -> SQLValue {
        try query(sql, params).first?.values.first ?? .null
    }

    /// How many times SQLite re-prepared this connection's cached statements (each a parse
    /// and plan, as costly as preparing anew). A statement on the request path must not be
    /// re-prepared: it happens when a bound value can change the plan (a LIKE pattern bound
    /// whole) or when the schema changed.
    public var reprepares: Int {
        statements.values.reduce(0) { $0 + Int(sqlite3_stmt_status($1.stmt, SQLITE_STMTSTATUS_REPREPARE, 0)) }
    }

    public var lastInsertRowID: Int64 { sqlite3_last_insert_rowid(handle) }
    /// Whether a transaction is open: SQLite ends one by itself after some errors
    /// (SQLITE_FULL, SQLITE_IOERR), which then fail every statement that follows.
    public var isInTransaction: Bool { sqlite3_get_autocommit(handle) == 0 }
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
            if isInTransaction { _ = try? execute("ROLLBACK") }
            throw error
        }
    }

    /// Runs `body` inside the open transaction as a savepoint: when it throws, only its
    /// own changes are rolled back and the transaction goes on.
    public func savepoint<T>(_ body: () throws -> T) throws -> T {
        precondition(transactionDepth > 0, "savepoint outside a transaction")
        try execute("SAVEPOINT s")
        transactionDepth += 1
        defer { transactionDepth -= 1 }
        do {
            let result = try body()
            try execute("RELEASE s")
            return result
        } catch {
            if isInTransaction {
                _ = try? execute("ROLLBACK TO s")
                _ = try? execute("RELEASE s")
            }
            throw error
        }
    }
}

extension Database: SQLConnection {
    public var dialect: any SQLDialect { SQLiteDialect() }
    public func rows(_ sql: String, _ params: [any SQLBindable]) throws -> [SQLRow] { try query(sql, params) }
    public func run(_ sql: String, _ params: [any SQLBindable]) throws -> Int { try execute(sql, params) }
    public func script(_ sql: String) throws { try execute(sql) }
    public func inTransaction<T>(_ body: () throws -> T) throws -> T { try transaction(body) }
}
