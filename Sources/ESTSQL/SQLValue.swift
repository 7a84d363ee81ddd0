import Foundation

/// A value bound to a parameter or read from a column, on either engine. SQLite gives
/// integer, real, text, blob and null; PostgreSQL also boolean (bytea reads as `.blob`,
/// every type without a case of its own as its text).
public enum SQLValue: Equatable, Sendable {
    case null
    case integer(Int64)
    case real(Double)
    case bool(Bool)
    case text(String)
    case blob(Data)
}
