import ArgumentParser
import ESTCA
import ESTOpenSSL
import ESTPostgres
import ESTSQLite
import Foundation

struct StoreCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "store", abstract: "Move a whole store between backends.", subcommands: [Copy.self])

    /// `estfcgi store copy --from FILE|URI --to FILE|URI`: every row of every table, ids
    /// kept, in one transaction on the target; then counts per table and certificate
    /// fingerprints compared. The target must be empty (it is created when missing).
    struct Copy: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Copy a whole store (SQLite file or postgresql:// URI) into an empty one, then verify it.",
            discussion: """
                Both stores are brought to this estfcgi's schema version first (as any command does).
                Stop the responders on --from (or accept that what they write meanwhile is not copied).
                """)
        @Option(help: ArgumentHelp("The store to copy.", valueName: "FILE|URI")) var from: String
        @Option(help: ArgumentHelp("The store to fill: a new file, or an empty (or schema-less) PostgreSQL database.", valueName: "FILE|URI")) var to: String

        /// Parents before children; certificates by id (a successor's replaces_id is older).
        static let tables: [(name: String, order: String)] = [
            ("cas", "id"), ("profiles", "id"), ("profile_trust", "profile_id, position, ca_id"),
            ("profile_cacerts", "profile_id, position, ca_id"), ("devices", "id"), ("certificates", "id"),
            ("enrollment_requests", "id"), ("crls", "id"), ("bootstrap_denials", "id"), ("audit", "id"),
        ]

        func run() throws {
            let source = try StoreLocation(from), target = try StoreLocation(to)
            guard source.description != target.description else { throw CAError.badRequest("--from and --to name the same store") }
            // Through the stores: the schema is made or migrated, a missing source is refused.
            _ = try source.open(create: false)
            _ = try target.open(create: true)
            let src = try RawStore(source), dst = try RawStore(target)
            for t in Self.tables {
                let n = try dst.count(t.name)
                guard n == 0 else { throw CAError.badRequest("\(target) is not empty (\(t.name): \(n) rows); copy into a new store") }
            }
            var copied: [(String, Int)] = []
            try dst.transaction {
                for t in Self.tables {
                    var n = 0
                    try src.forEachRow(t.name, orderBy: t.order) { row in
                        try dst.insert(t.name, row)
                        n += 1
                    }
                    copied.append((t.name, n))
                }
                try dst.afterCopy(Self.tables.map(\.name))
            }
            // Verify from fresh reads of both sides.
            var problems: [String] = []
            for (table, n) in copied {
                let s = try src.count(table), d = try dst.count(table)
                if s != n || d != n { problems.append("\(table): \(s) rows in the source, \(n) copied, \(d) in the target") }
            }
            var checked = 0
            for table in ["cas", "certificates"] {
                let column = table == "cas" ? "certificate" : "der"
                let a = try src.fingerprints(table, der: column), b = try dst.fingerprints(table, der: column)
                if a.map({ "\($0.0):\($0.1)" }) != b.map({ "\($0.0):\($0.1)" }) { problems.append("\(table): fingerprints differ between source and target") }
                for (id, stored, computed) in b where stored != computed {
                    problems.append("\(table) row \(id): stored fingerprint \(stored) is not its certificate's (\(computed))")
                }
                checked += b.count
            }
            guard problems.isEmpty else {
                throw CAError.internalFailure("copy does not verify: " + problems.prefix(3).joined(separator: "; "))
            }
            print("copied \(source) -> \(target)")
            for (table, n) in copied { print("  \(table.padding(toLength: 20, withPad: " ", startingAt: 0)) \(n)") }
            print("verified: row counts of \(copied.count) tables, fingerprints of \(checked) certificates (CAs and issued)")
        }
    }
}

/// A value as it moves between the engines: both store the same four kinds.
enum CopyValue {
    case null, integer(Int64), text(String), blob(Data)
}

/// The tables of a store, row by row, below the CAStore protocol (which has no "every row
/// with its id"). Only `store copy` uses it.
enum RawStore {
    case sqlite(Database)
    case postgres(PGConnection)

    init(_ location: StoreLocation) throws {
        do {
            switch location {
            case .sqlite(let path): self = .sqlite(try Database(path: path, create: false))
            case .postgres(let conninfo): self = .postgres(try PGConnection(conninfo: conninfo))
            }
        } catch let e as SQLiteError { throw CAError.internalFailure(e.description) }
        catch let e as PGError { throw CAError.internalFailure(e.description) }
    }

    private func mapped<T>(_ body: () throws -> T) throws -> T {
        do { return try body() }
        catch let e as SQLiteError { throw CAError.internalFailure(e.description) }
        catch let e as PGError { throw CAError.internalFailure(e.description) }
    }

    func count(_ table: String) throws -> Int {
        try mapped {
            switch self {
            case .sqlite(let db):
                if case .integer(let n) = try db.scalar("SELECT count(*) FROM \(table)") { return Int(n) }
            case .postgres(let db):
                if case .integer(let n) = try db.scalar("SELECT count(*) FROM \(table)") { return Int(n) }
            }
            return 0
        }
    }

    /// Every row of `table`, in pages of 500 (a store of millions never sits in memory).
    func forEachRow(_ table: String, orderBy: String, _ body: ([(String, CopyValue)]) throws -> Void) throws {
        let page = 500
        var offset = 0
        while true {
            let rows: [[(String, CopyValue)]] = try mapped {
                switch self {
                case .sqlite(let db):
                    return try db.query("SELECT * FROM \(table) ORDER BY \(orderBy) LIMIT ? OFFSET ?", [page, offset]).map { r in
                        zip(r.names, r.values).map { name, v in
                            switch v {
                            case .null: return (name, .null)
                            case .integer(let i): return (name, .integer(i))
                            case .real(let d): return (name, .text(String(d)))
                            case .text(let t): return (name, .text(t))
                            case .blob(let b): return (name, .blob(b))
                            }
                        }
                    }
                case .postgres(let db):
                    return try db.query("SELECT * FROM \(table) ORDER BY \(orderBy) LIMIT $1 OFFSET $2", [page, offset]).map { r in
                        zip(r.names, r.values).map { name, v in
                            switch v {
                            case .null: return (name, .null)
                            case .integer(let i): return (name, .integer(i))
                            case .bool(let b): return (name, .integer(b ? 1 : 0))
                            case .text(let t): return (name, .text(t))
                            case .bytea(let b): return (name, .blob(b))
                            }
                        }
                    }
                }
            }
            for row in rows { try body(row) }
            guard rows.count == page else { return }
            offset += page
        }
    }

    func insert(_ table: String, _ row: [(String, CopyValue)]) throws {
        let columns = row.map(\.0).joined(separator: ", ")
        try mapped {
            switch self {
            case .sqlite(let db):
                let marks = Array(repeating: "?", count: row.count).joined(separator: ", ")
                try db.execute("INSERT INTO \(table) (\(columns)) VALUES (\(marks))", row.map { _, v -> SQLValue in
                    switch v {
                    case .null: return .null
                    case .integer(let i): return .integer(i)
                    case .text(let t): return .text(t)
                    case .blob(let b): return .blob(b)
                    }
                })
            case .postgres(let db):
                let marks = (1...row.count).map { "$\($0)" }.joined(separator: ", ")
                try db.execute("INSERT INTO \(table) (\(columns)) VALUES (\(marks))", row.map { _, v -> PGValue in
                    switch v {
                    case .null: return .null
                    case .integer(let i): return .integer(i)
                    case .text(let t): return .text(t)
                    case .blob(let b): return .bytea(b)
                    }
                })
            }
        }
    }

    func transaction(_ body: () throws -> Void) throws {
        try mapped {
            switch self {
            case .sqlite(let db): try db.transaction(body)
            case .postgres(let db): try db.transaction(.readCommitted, body)
            }
        }
    }

    /// PostgreSQL: identities continue after the copied ids (explicit ids do not move them).
    func afterCopy(_ tables: [String]) throws {
        guard case .postgres(let db) = self else { return }
        try mapped {
            for table in tables where !table.hasPrefix("profile_") {
                try db.query("""
                    SELECT setval(pg_get_serial_sequence($1, 'id'), (SELECT coalesce(max(id), 0) + 1 FROM \(table)), false)
                    """, [table])
            }
        }
    }

    /// (id, stored fingerprint, SHA-256 of the stored DER) of every row.
    func fingerprints(_ table: String, der column: String) throws -> [(Int64, String, String)] {
        var out: [(Int64, String, String)] = []
        try forEachRow(table, orderBy: "id") { row in
            let values = Dictionary(row, uniquingKeysWith: { a, _ in a })
            guard case .integer(let id)? = values["id"], case .text(let stored)? = values["fingerprint"],
                  case .blob(let der)? = values[column] else {
                throw CAError.internalFailure("\(table): a row without id, fingerprint or certificate")
            }
            out.append((id, stored, (try? Certificate(der: der).fingerprint.hexString) ?? "(not a certificate)"))
        }
        return out
    }
}
