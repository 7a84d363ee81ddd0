internal import CPostgres
import Foundation

/// One libpq connection, synchronous (the FastCGI request loop is). Not shared between
/// threads: each worker opens its own. Parameterised statements only (`$1..$n`, prepared
/// once per connection and reused); transactions; errors carry their SQLSTATE.
public final class PGConnection {
    private let handle: OpaquePointer
    /// Prepared statement names, by SQL text and parameter types.
    private var prepared: [String: String] = [:]
    private var transactionDepth = 0

    public enum Isolation: String, Sendable {
        case readCommitted = "READ COMMITTED"
        case repeatableRead = "REPEATABLE READ"
        case serializable = "SERIALIZABLE"
    }

    /// Connects with a libpq connection string: a `postgresql://` (or `postgres://`) URI or
    /// `key=value` pairs. `overrides` are further parameters that win over the string's
    /// (e.g. `options` for a test's search_path).
    public init(conninfo: String, overrides: [String: String] = [:]) throws {
        var params: [(String, String)] = [("dbname", conninfo), ("fallback_application_name", "estfcgi"),
                                          ("client_encoding", "UTF8")]
        params += overrides.sorted { $0.key < $1.key }
        let keys = params.map { strdup($0.0) }
        let values = params.map { strdup($0.1) }
        defer { (keys + values).forEach { free($0) } }
        let k: [UnsafePointer<CChar>?] = keys.map { UnsafePointer($0) } + [nil]
        let v: [UnsafePointer<CChar>?] = values.map { UnsafePointer($0) } + [nil]
        // expand_dbname = 1: the first "dbname" is read as a whole connection string.
        guard let conn = PQconnectdbParams(k, v, 1) else {
            throw PGError(sqlState: "08001", message: "out of memory")
        }
        guard PQstatus(conn) == CONNECTION_OK else {
            let message = String(cString: PQerrorMessage(conn)).trimmingCharacters(in: .whitespacesAndNewlines)
            PQfinish(conn)
            throw PGError(sqlState: "08001", message: "cannot connect: \(message)")
        }
        handle = conn
        // NOTICEs (e.g. "already exists, skipping") are not the operator's business; libpq
        // would print them on stderr.
        PQsetNoticeProcessor(conn, { _, _ in }, nil)
    }

    deinit { PQfinish(handle) }

    // MARK: connection strings

    /// Whether `string` is meant for PostgreSQL: a `postgresql://` or `postgres://` URI.
    public static func isURI(_ string: String) -> Bool {
        string.hasPrefix("postgresql://") || string.hasPrefix("postgres://")
    }

    /// The parameters libpq reads from a connection string (without defaults or the
    /// environment). Throws when libpq cannot parse it.
    public static func parameters(of conninfo: String) throws -> [String: String] {
        var error: UnsafeMutablePointer<CChar>?
        guard let options = PQconninfoParse(conninfo, &error) else {
            let message = error.map { String(cString: $0) } ?? "out of memory"
            if let error { PQfreemem(error) }
            throw PGError(sqlState: "08001", message: "invalid connection string: \(message.trimmingCharacters(in: .whitespacesAndNewlines))")
        }
        defer { PQconninfoFree(options) }
        var out: [String: String] = [:]
        var p = options
        while let keyword = p.pointee.keyword {
            if let value = p.pointee.val { out[String(cString: keyword)] = String(cString: value) }
            p += 1
        }
        return out
    }

    // MARK: facts

    public var serverVersion: Int { Int(PQserverVersion(handle)) }
    public var databaseName: String { PQdb(handle).map { String(cString: $0) } ?? "" }
    public var user: String { PQuser(handle).map { String(cString: $0) } ?? "" }
    /// Whether a transaction is open (or failed and not yet rolled back).
    public var isInTransaction: Bool { PQtransactionStatus(handle) != PQTRANS_IDLE }

    // MARK: statements

    /// Runs one statement with bound parameters (prepared on first use); returns its rows.
    /// Parameters are `$1..$n`, or `?` bound in order as SQLite's (the shared store's SQL).
    @discardableResult
    public func query(_ sql: String, _ params: [any SQLBindable] = []) throws -> [SQLRow] {
        try rows(perform(sql, params))
    }

    /// Runs one statement; returns how many rows it inserted, updated or deleted.
    @discardableResult
    public func execute(_ sql: String, _ params: [any SQLBindable] = []) throws -> Int {
        let result = try perform(sql, params)
        defer { PQclear(result) }
        return Int(String(cString: PQcmdTuples(result))) ?? 0
    }

    /// The first column of the first row (`.null` when there is no row).
    public func scalar(_ sql: String, _ params: [any SQLBindable] = []) throws -> SQLValue {
        try query(sql, params).first?.values.first ?? .null
    }

    /// Runs SQL text without parameters through the simple-query protocol (several
    /// statements, DDL with `$$` bodies): migrations and transaction control.
    public func script(_ sql: String) throws {
        try reconnectIfNeeded()
        let result = PQexec(handle, sql)
        defer { PQclear(result) }
        try check(result)
    }

    private func perform(_ sql: String, _ params: [any SQLBindable]) throws -> OpaquePointer {
        try reconnectIfNeeded()
        let types = params.map { PGTypeOID.of($0.boundType) }
        let key = sql + "\u{0}" + types.map(String.init).joined(separator: ",")
        let name: String
        if let existing = prepared[key] {
            name = existing
        } else {
            name = "estfcgi_\(prepared.count + 1)"
            let result = PQprepare(handle, name, PostgresDialect.numbered(sql), Int32(types.count), types)
            defer { PQclear(result) }
            try check(result)
            prepared[key] = name
        }
        // Text format for everything but bytea, which goes as its bytes (format 1).
        var buffers: [UnsafeMutablePointer<CChar>?] = []
        var lengths: [Int32] = []
        var formats: [Int32] = []
        defer { buffers.forEach { free($0) } }
        for p in params {
            switch p.sqlValue {
            case .null:
                buffers.append(nil); lengths.append(0); formats.append(0)
            case .integer(let v):
                buffers.append(strdup(String(v))); lengths.append(0); formats.append(0)
            case .bool(let v):
                buffers.append(strdup(v ? "t" : "f")); lengths.append(0); formats.append(0)
            case .real(let v):
                buffers.append(strdup("\(v)")); lengths.append(0); formats.append(0)
            case .text(let v):
                guard !v.utf8.contains(0) else { throw PGError(sqlState: "22021", message: "text holds a NUL character") }
                buffers.append(strdup(v)); lengths.append(0); formats.append(0)
            case .blob(let v):
                let copy = malloc(max(v.count, 1))!.assumingMemoryBound(to: CChar.self)
                v.withUnsafeBytes { raw in
                    if let base = raw.baseAddress { memcpy(copy, base, v.count) }
                }
                buffers.append(copy); lengths.append(Int32(v.count)); formats.append(1)
            }
        }
        let values: [UnsafePointer<CChar>?] = buffers.map { $0.map { UnsafePointer($0) } }
        let result = PQexecPrepared(handle, name, Int32(params.count), values, lengths, formats, 0)
        do { try check(result) } catch {
            PQclear(result)
            throw error
        }
        return result!
    }

    /// A connection that broke between transactions (server restart, network) is opened
    /// again before the next statement; inside a transaction the failure is reported.
    private func reconnectIfNeeded() throws {
        guard PQstatus(handle) != CONNECTION_OK else { return }
        guard transactionDepth == 0 else {
            throw PGError(sqlState: "08006", message: "connection lost inside a transaction")
        }
        PQreset(handle)
        prepared.removeAll()
        guard PQstatus(handle) == CONNECTION_OK else {
            throw PGError(sqlState: "08006", message: "connection lost: \(lastMessage)")
        }
    }

    private var lastMessage: String {
        String(cString: PQerrorMessage(handle)).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    private func check(_ result: OpaquePointer?) throws {
        guard let result else {
            throw PGError(sqlState: PQstatus(handle) == CONNECTION_OK ? "XX000" : "08006", message: lastMessage)
        }
        let status = PQresultStatus(result)
        if status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK { return }
        func field(_ code: Int32) -> String? { PQresultErrorField(result, code).map { String(cString: $0) } }
        let state = field(estfcgi_pg_diag_sqlstate()) ?? (PQstatus(handle) == CONNECTION_OK ? "XX000" : "08006")
        let message = field(estfcgi_pg_diag_message_primary()) ?? lastMessage
        throw PGError(sqlState: state, message: message, constraint: field(estfcgi_pg_diag_constraint_name()))
    }

    private func rows(_ result: OpaquePointer) -> [SQLRow] {
        defer { PQclear(result) }
        let count = PQntuples(result), columns = PQnfields(result)
        guard count > 0 else { return [] }
        let names = (0..<columns).map { String(cString: PQfname(result, $0)) }
        let types = (0..<columns).map { PQftype(result, $0) }
        var out: [SQLRow] = []
        out.reserveCapacity(Int(count))
        for r in 0..<count {
            var values: [SQLValue] = []
            values.reserveCapacity(Int(columns))
            for c in 0..<columns {
                if PQgetisnull(result, r, c) != 0 { values.append(.null); continue }
                let length = Int(PQgetlength(result, r, c))
                let bytes = UnsafeRawBufferPointer(start: PQgetvalue(result, r, c), count: length)
                switch types[Int(c)] {
                case PGTypeOID.int2, PGTypeOID.int4, PGTypeOID.int8, PGTypeOID.oid:
                    values.append(Int64(String(decoding: bytes, as: UTF8.self)).map(SQLValue.integer) ?? .null)
                case PGTypeOID.bool:
                    values.append(.bool(bytes.first == UInt8(ascii: "t")))
                case PGTypeOID.bytea:
                    values.append(.blob(Self.decodeHexBytea(bytes)))
                default:
                    values.append(.text(String(decoding: bytes, as: UTF8.self)))
                }
            }
            out.append(SQLRow(names: names, values: values))
        }
        return out
    }

    /// bytea's text output (`bytea_output = hex`, the default): `\x` then two hex digits a byte.
    static func decodeHexBytea(_ text: UnsafeRawBufferPointer) -> Data {
        guard text.count >= 2, text[0] == UInt8(ascii: "\\"), text[1] == UInt8(ascii: "x") else { return Data(text) }
        func nibble(_ c: UInt8) -> UInt8 {
            switch c {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): return c - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): return c - UInt8(ascii: "a") + 10
            default: return c &- UInt8(ascii: "A") &+ 10
            }
        }
        var out = [UInt8]()
        out.reserveCapacity((text.count - 2) / 2)
        var i = 2
        while i + 1 < text.count {
            out.append(nibble(text[i]) << 4 | nibble(text[i + 1]))
            i += 2
        }
        return Data(out)
    }

    // MARK: transactions

    /// Runs `body` in one transaction at `isolation`: all of it commits or none of it does.
    /// Nested calls join the outer transaction.
    public func transaction<T>(_ isolation: Isolation = .readCommitted, _ body: () throws -> T) throws -> T {
        if transactionDepth > 0 {
            transactionDepth += 1
            defer { transactionDepth -= 1 }
            return try body()
        }
        try script("BEGIN ISOLATION LEVEL \(isolation.rawValue)")
        transactionDepth = 1
        do {
            let value = try body()
            transactionDepth = 0
            try commit()
            return value
        } catch {
            transactionDepth = 0
            if PQstatus(handle) == CONNECTION_OK, isInTransaction { try? script("ROLLBACK") }
            throw error
        }
    }

    /// As `transaction`, run again (at most `attempts` times in all, after a short random
    /// pause) when PostgreSQL aborted it for a serialization failure or a deadlock: the body
    /// must compute everything it writes inside itself.
    public func transaction<T>(_ isolation: Isolation = .readCommitted, attempts: Int, _ body: () throws -> T) throws -> T {
        precondition(attempts >= 1)
        var attempt = 1
        while true {
            do { return try transaction(isolation, body) }
            catch let e as PGError where e.isRetryable && attempt < attempts && transactionDepth == 0 {
                retries += 1
                usleep(UInt32.random(in: 1_000...(5_000 * UInt32(attempt))))
                attempt += 1
            }
        }
    }

    /// Transactions run again by `transaction(_:attempts:_:)` on this connection.
    public private(set) var retries = 0

    /// COMMIT of a transaction that already failed answers ROLLBACK: that is an error here.
    private func commit() throws {
        let result = PQexec(handle, "COMMIT")
        defer { PQclear(result) }
        try check(result)
        if let result, String(cString: PQcmdStatus(result)) == "ROLLBACK" {
            throw PGError(sqlState: "25P02", message: "the transaction had failed and was rolled back")
        }
    }
}

extension PGConnection: SQLConnection {
    public var dialect: any SQLDialect { PostgresDialect() }
    public func rows(_ sql: String, _ params: [any SQLBindable]) throws -> [SQLRow] { try query(sql, params) }
    public func run(_ sql: String, _ params: [any SQLBindable]) throws -> Int { try execute(sql, params) }
    public func inTransaction<T>(_ body: () throws -> T) throws -> T { try transaction(.readCommitted, body) }
}
