internal import CPostgres
import Foundation

/// One libpq connection, synchronous (the FastCGI request loop is). Not shared between
/// threads: each worker opens its own. Parameterised statements only (`$1..$n`, prepared
/// once per connection and reused); transactions; errors carry their SQLSTATE.
public final class PGConnection {
    private let handle: OpaquePointer
    /// Prepared statement names, by SQL text and parameter types.
    private var prepared: [String: String] = [:]
    private var statementsNamed = 0
    private var transactionDepth = 0
    /// The transaction's BEGIN has reached the server (it is sent with the first statement).
    private var begun = false
    /// Sent with the next statement whose result is read, or with COMMIT, in one pipeline
    /// (one round trip): the transaction's BEGIN, then `executeLater` statements, in order.
    private var pending: [PGPendingCommand] = []
    /// Statements queued by `executeLater` carry this number; the failure of one reports it
    /// (`PGError.deferredOwner`), so that a group commit can tell whose write it was.
    public var deferredOwner = 0
    /// At most this many statements wait: a pipeline whose results are read only after it
    /// is sent must stay small (libpq's warning on blocking connections).
    static let maxPending = 32

    /// Round trips to the server: one per statement, prepare, script or transaction control
    /// sent alone, one per pipeline of several (tests and benchmarks count them).
    public private(set) var roundTrips = 0

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

    /// Runs one statement whose result the caller does not read (a log row's INSERT).
    /// Inside a transaction it is sent with the next statement whose result is read, or
    /// with the COMMIT, in one pipeline: no round trip of its own. Its error is thrown there
    /// (with `deferredOwner` as it was when it was queued), and the transaction fails as it
    /// would have at once. Outside a transaction it runs at once.
    public func executeLater(_ sql: String, _ params: [any SQLBindable] = []) throws {
        guard transactionDepth > 0 else {
            _ = try execute(sql, params)
            return
        }
        // Bound now: a value PostgreSQL cannot take is this caller's error, thrown here.
        let command = PGPendingCommand.statement(try bind(sql, params), owner: deferredOwner)
        if pending.count >= Self.maxPending { try flush() }
        pending.append(command)
    }

    /// Runs SQL text without parameters through the simple-query protocol (several
    /// statements, DDL with `$$` bodies): migrations and transaction control.
    public func script(_ sql: String) throws {
        try flush()
        try reconnectIfNeeded()
        roundTrips += 1
        let result = PQexec(handle, sql)
        defer { PQclear(result) }
        try check(result)
    }

    /// Runs independent statements (none reads what another writes) in one pipeline, one
    /// round trip, with what is pending; returns each one's rows. The first failure is
    /// thrown and the statements after it did not run. Outside a transaction they run as
    /// one (the pipeline's implicit transaction). For small results: every statement is
    /// written before any result is read, so a result larger than the socket's buffers with
    /// much still to write would leave both sides waiting.
    public func queryTogether(_ statements: [(sql: String, params: [any SQLBindable])]) throws -> [[SQLRow]] {
        let bound = try statements.map { try bind($0.sql, $0.params) }
        return try pipeline(bound.map { .statement($0, owner: nil) }).map(rows)
    }

    private func perform(_ sql: String, _ params: [any SQLBindable]) throws -> OpaquePointer {
        let statement = try bind(sql, params)
        guard pending.isEmpty else { return try pipeline([.statement(statement, owner: nil)])[0] }
        try reconnectIfNeeded()
        let name: String
        if let existing = prepared[statement.key] {
            name = existing
        } else {
            name = newName()
            roundTrips += 1
            let result = PQprepare(handle, name, statement.text, Int32(statement.types.count), statement.types)
            defer { PQclear(result) }
            try check(result)
            prepared[statement.key] = name
        }
        roundTrips += 1
        let result = statement.withValues { values, lengths, formats in
            PQexecPrepared(handle, name, Int32(statement.types.count), values, lengths, formats, 0)
        }
        do { try check(result) } catch {
            PQclear(result)
            throw error
        }
        return result!
    }

    private func newName() -> String {
        statementsNamed += 1
        return "estfcgi_\(statementsNamed)"
    }

    /// `sql` with its parameters converted as libpq takes them: text format for everything
    /// but bytea, which goes as its bytes (format 1).
    private func bind(_ sql: String, _ params: [any SQLBindable]) throws -> PGBoundStatement {
        let types = params.map { PGTypeOID.of($0.boundType) }
        var values: [[UInt8]?] = []
        values.reserveCapacity(params.count)
        for p in params {
            switch p.sqlValue {
            case .null: values.append(nil)
            case .integer(let v): values.append(Array(String(v).utf8))
            case .bool(let v): values.append(v ? [UInt8(ascii: "t")] : [UInt8(ascii: "f")])
            case .real(let v): values.append(Array("\(v)".utf8))
            case .text(let v):
                guard !v.utf8.contains(0) else { throw PGError(sqlState: "22021", message: "text holds a NUL character") }
                values.append(Array(v.utf8))
            case .blob(let v): values.append([UInt8](v))
            }
        }
        let binary = params.map { if case .blob = $0.sqlValue { true } else { false } }
        return PGBoundStatement(key: sql + "\u{0}" + types.map(String.init).joined(separator: ","),
                                text: PostgresDialect.numbered(sql), types: types, values: values, binary: binary)
    }

    /// Sends what is pending, then `wanted`, in one pipeline, one round trip, and reads
    /// every result; returns those of `wanted` (the caller clears them). The first failure
    /// is thrown once the pipeline is read to its end; the server ran nothing after it
    /// (PGRES_PIPELINE_ABORTED).
    private func pipeline(_ wanted: [PGPendingCommand]) throws -> [OpaquePointer] {
        let commands = pending + wanted
        let firstWanted = pending.count
        pending = []
        try reconnectIfNeeded()
        // Each send is one result (then NULL): a statement not yet prepared is two sends.
        enum Send { case control(String, index: Int), prepare(String, PGBoundStatement), run(String, PGBoundStatement, owner: Int?, index: Int) }
        var sends: [Send] = []
        var naming: [String: String] = [:]  // prepared in this pipeline
        for (i, command) in commands.enumerated() {
            switch command {
            case .control(let sql): sends.append(.control(sql, index: i))
            case .statement(let s, let owner):
                let name: String
                if let existing = prepared[s.key] ?? naming[s.key] {
                    name = existing
                } else {
                    name = newName()
                    naming[s.key] = name
                    sends.append(.prepare(name, s))
                }
                sends.append(.run(name, s, owner: owner, index: i))
            }
        }
        guard PQenterPipelineMode(handle) == 1 else { throw PGError(sqlState: "08006", message: lastMessage) }
        roundTrips += 1
        var failure: PGError?
        var sent = 0
        for send in sends {
            let ok: Int32
            switch send {
            case .control(let sql, _):
                ok = PQsendQueryParams(handle, sql, 0, nil, nil, nil, nil, 0)
            case .prepare(let name, let s):
                ok = PQsendPrepare(handle, name, s.text, Int32(s.types.count), s.types)
            case .run(let name, let s, _, _):
                ok = s.withValues { values, lengths, formats in
                    PQsendQueryPrepared(handle, name, Int32(s.types.count), values, lengths, formats, 0)
                }
            }
            guard ok == 1 else { failure = PGError(sqlState: "08006", message: lastMessage); break }
            sent += 1
        }
        // What was sent is synced and read even after a send failed: the connection must
        // leave pipeline mode with nothing queued.
        var synced = PQpipelineSync(handle) == 1
        if !synced, failure == nil { failure = PGError(sqlState: "08006", message: lastMessage) }
        var results = [OpaquePointer?](repeating: nil, count: wanted.count)
        if synced {
            for send in sends.prefix(sent) {
                guard let result = PQgetResult(handle) else {
                    failure = failure ?? PGError(sqlState: "08006", message: lastMessage)
                    synced = false
                    break
                }
                let status = PQresultStatus(result)
                let ok = status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK
                var kept = false
                switch send {
                case .control(_, let index):
                    if ok { begun = true }  // BEGIN (COMMIT ends the transaction: `transaction` resets it)
                    if ok, index >= firstWanted { results[index - firstWanted] = result; kept = true }
                case .prepare(let name, let s):
                    if ok { prepared[s.key] = name }
                case .run(_, _, _, let index):
                    if ok, index >= firstWanted { results[index - firstWanted] = result; kept = true }
                }
                if !ok, status != PGRES_PIPELINE_ABORTED, failure == nil {
                    do { try check(result) } catch var e as PGError {
                        if case .run(_, _, let owner?, _) = send { e.deferredOwner = owner }
                        failure = e
                    } catch {}
                }
                if !kept { PQclear(result) }
                // The NULL that ends this command's results.
                while let extra = PQgetResult(handle) { PQclear(extra) }
            }
            if synced {
                // The sync's own result ends the pipeline.
                while let result = PQgetResult(handle) {
                    let status = PQresultStatus(result)
                    PQclear(result)
                    if status == PGRES_PIPELINE_SYNC { break }
                }
            }
        }
        if PQexitPipelineMode(handle) != 1, failure == nil { failure = PGError(sqlState: "08006", message: lastMessage) }
        let kept = results.compactMap { $0 }
        if let failure {
            kept.forEach { PQclear($0) }
            throw failure
        }
        guard kept.count == wanted.count else {
            kept.forEach { PQclear($0) }
            throw PGError(sqlState: "XX000", message: "a pipeline without all its results")
        }
        return kept
    }

    /// Sends what BEGIN and `executeLater` left pending (a round trip only when any is).
    private func flush() throws {
        guard !pending.isEmpty else { return }
        if pending.allSatisfy({ if case .control = $0 { true } else { false } }) {
            // BEGIN alone: sent alone (the caller's next command needs the transaction open).
            let commands = pending
            pending = []
            for case .control(let sql) in commands {
                try reconnectIfNeeded()
                roundTrips += 1
                let result = PQexec(handle, sql)
                defer { PQclear(result) }
                try check(result)
                begun = true
            }
            return
        }
        try pipeline([]).forEach { PQclear($0) }
    }

    /// A connection that broke between transactions (server restart, network) is opened
    /// again before the next statement; inside a transaction the failure is reported.
    private func reconnectIfNeeded() throws {
        guard PQstatus(handle) != CONNECTION_OK else { return }
        // A transaction whose BEGIN has not reached the server has nothing there to lose.
        guard transactionDepth == 0 || !begun else {
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
        // BEGIN goes with the transaction's first statement, one round trip for both.
        try flush()
        pending = [.control("BEGIN ISOLATION LEVEL \(isolation.rawValue)")]
        begun = false
        transactionDepth = 1
        do {
            let value = try body()
            try commit()
            transactionDepth = 0
            begun = false
            return value
        } catch {
            pending = []
            transactionDepth = 0
            begun = false
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
    /// What `executeLater` left pending goes with it, one round trip; a transaction that
    /// ran no statement sends nothing (its BEGIN never left).
    private func commit() throws {
        if !begun, pending.allSatisfy({ if case .control = $0 { true } else { false } }) {
            pending = []
            return
        }
        let result = try pipeline([.control("COMMIT")])[0]
        defer { PQclear(result) }
        if String(cString: PQcmdStatus(result)) == "ROLLBACK" {
            throw PGError(sqlState: "25P02", message: "the transaction had failed and was rolled back")
        }
    }
}

extension PGConnection: SQLConnection {
    public var dialect: any SQLDialect { PostgresDialect() }
    public func rows(_ sql: String, _ params: [any SQLBindable]) throws -> [SQLRow] { try query(sql, params) }
    public func run(_ sql: String, _ params: [any SQLBindable]) throws -> Int { try execute(sql, params) }
    public func inTransaction<T>(_ body: () throws -> T) throws -> T { try transaction(.readCommitted, body) }
    public func runLater(_ sql: String, _ params: [any SQLBindable]) throws { try executeLater(sql, params) }
    public func rowsTogether(_ statements: [(sql: String, params: [any SQLBindable])]) throws -> [[SQLRow]] {
        try queryTogether(statements)
    }
}
