internal import CSQLite
import Foundation

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
        case .bool(let v): return sqlite3_bind_int64(stmt, index, v ? 1 : 0)
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

    func row() -> SQLRow {
        let count = sqlite3_column_count(stmt)
        if names == nil {
            names = (0..<count).map { String(cString: sqlite3_column_name(stmt, $0)) }
        }
        var values: [SQLValue] = []
        values.reserveCapacity(Int(count))
        for i in 0..<count {
            switch sqlite3_column_type(stmt, i) {
            case SQLITE_INTEGER: values.append(.integer(sqlite3_column_int64(stmt, i)))
            case SQLITE_FLOAT: values.append(.real(sqlite3_column_double(stmt, i)))
            case SQLITE_TEXT:
                let n = Int(sqlite3_column_bytes(stmt, i))
                let p = sqlite3_column_text(stmt, i)
                values.append(.text(p.map { String(decoding: UnsafeBufferPointer(start: $0, count: n), as: UTF8.self) } ?? ""))
            case SQLITE_BLOB:
                let n = Int(sqlite3_column_bytes(stmt, i))
                if n > 0, let p = sqlite3_column_blob(stmt, i) { values.append(.blob(Data(bytes: p, count: n))) }
                else { values.append(.blob(Data())) }
            default: values.append(.null)
            }
        }
        return SQLRow(names: names!, values: values)
    }
}
