import ESTCA
import ESTOpenSSL
import ESTSQL
import Foundation

/// Every row of every table of one store into another, empty one, through the shared SQL
/// layer (either engine to either): ids kept, in one transaction on the target; then row
/// counts per table and certificate fingerprints compared from fresh reads of both.
public enum StoreCopy {
    /// Rows copied per table, in copy order, and how many certificates (CAs and issued)
    /// were verified.
    public struct Report: Sendable {
        public var copied: [(table: String, rows: Int)] = []
        public var checkedCertificates = 0
    }

    /// `source` and `target` are connections of their own to stores at this estfcgi's
    /// schema version (opened through their stores first, which migrates them).
    public static func copy(from source: any SQLConnection, to target: any SQLConnection, targetName: String) throws -> Report {
        do { return try run(source, target, targetName) }
        catch let e as StoreError { throw e }
        catch { throw StoreError.failed("\(error)") }
    }

    private static func run(_ src: any SQLConnection, _ dst: any SQLConnection, _ targetName: String) throws -> Report {
        let unknown = try StoreTables.uncopied(on: src)
        guard unknown.isEmpty else {
            throw StoreError.failed("the source has tables store copy does not carry: \(unknown.joined(separator: ", "))")
        }
        for t in StoreTables.copied {
            let n = try dst.count("SELECT count(*) FROM \(t.name)")
            guard n == 0 else { throw StoreError.conflict("\(targetName) is not empty (\(t.name): \(n) rows); copy into a new store") }
        }
        var report = Report()
        try dst.inTransaction {
            for t in StoreTables.copied {
                var n = 0
                try forEachRow(src, t.name, orderBy: t.order) { row in
                    try insert(dst, t.name, row)
                    n += 1
                }
                report.copied.append((t.name, n))
            }
            for t in StoreTables.copied { try dst.dialect.afterExplicitIDs(table: t.name, on: dst) }
        }
        try dst.dialect.afterBulkLoad(tables: StoreTables.copied.map(\.name), on: dst)
        var problems: [String] = []
        for (table, n) in report.copied {
            let s = try src.count("SELECT count(*) FROM \(table)"), d = try dst.count("SELECT count(*) FROM \(table)")
            if s != n || d != n { problems.append("\(table): \(s) rows in the source, \(n) copied, \(d) in the target") }
        }
        for table in ["cas", "certificates"] {
            let column = table == "cas" ? "certificate" : "der"
            let a = try fingerprints(src, table, der: column), b = try fingerprints(dst, table, der: column)
            if a.map({ "\($0.0):\($0.1)" }) != b.map({ "\($0.0):\($0.1)" }) { problems.append("\(table): fingerprints differ between source and target") }
            for (id, stored, computed) in b where stored != computed {
                problems.append("\(table) row \(id): stored fingerprint \(stored) is not its certificate's (\(computed))")
            }
            report.checkedCertificates += b.count
        }
        guard problems.isEmpty else {
            throw StoreError.failed("copy does not verify: " + problems.prefix(3).joined(separator: "; "))
        }
        return report
    }

    /// Every row of `table`, in pages of 500 (a store of millions never sits in memory).
    private static func forEachRow(_ db: any SQLConnection, _ table: String, orderBy: String, _ body: (SQLRow) throws -> Void) throws {
        let page = 500
        var offset = 0
        while true {
            let rows = try db.rows("SELECT * FROM \(table) ORDER BY \(orderBy) LIMIT ? OFFSET ?", [page, offset])
            for row in rows { try body(row) }
            guard rows.count == page else { return }
            offset += page
        }
    }

    /// Both engines store the same four kinds: a PostgreSQL boolean goes as 0/1, a SQLite
    /// real (no column of the schema has one) as its text.
    private static func insert(_ db: any SQLConnection, _ table: String, _ row: SQLRow) throws {
        let values: [any SQLBindable] = row.values.map { v -> SQLValue in
            switch v {
            case .bool(let b): return .integer(b ? 1 : 0)
            case .real(let d): return .text(String(d))
            default: return v
            }
        }
        let marks = Array(repeating: "?", count: values.count).joined(separator: ", ")
        try db.run("INSERT INTO \(table) (\(row.names.joined(separator: ", "))) VALUES (\(marks))", values)
    }

    /// (id, stored fingerprint, SHA-256 of the stored DER) of every row.
    private static func fingerprints(_ db: any SQLConnection, _ table: String, der column: String) throws -> [(Int64, String, String)] {
        var out: [(Int64, String, String)] = []
        try forEachRow(db, table, orderBy: "id") { row in
            let id = try row.requiredInt("id"), stored = try row.requiredString("fingerprint"), der = try row.requiredData(column)
            out.append((id, stored, (try? Certificate(der: der).fingerprint.hexString) ?? "(not a certificate)"))
        }
        return out
    }
}
