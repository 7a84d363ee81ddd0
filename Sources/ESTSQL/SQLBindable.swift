import Foundation

/// A Swift value that binds to a statement parameter. The type travels with it, so that a
/// nil `String?` is a NULL of type text.
public protocol SQLBindable {
    var sqlValue: SQLValue { get }
    static var sqlType: SQLType { get }
}

extension Int: SQLBindable {
    public var sqlValue: SQLValue { .integer(Int64(self)) }
    public static var sqlType: SQLType { .integer }
}
extension Int64: SQLBindable {
    public var sqlValue: SQLValue { .integer(self) }
    public static var sqlType: SQLType { .integer }
}
extension Bool: SQLBindable {
    public var sqlValue: SQLValue { .bool(self) }
    public static var sqlType: SQLType { .bool }
}
extension String: SQLBindable {
    public var sqlValue: SQLValue { .text(self) }
    public static var sqlType: SQLType { .text }
}
extension Data: SQLBindable {
    public var sqlValue: SQLValue { .blob(self) }
    public static var sqlType: SQLType { .blob }
}
extension SQLValue: SQLBindable {
    public var sqlValue: SQLValue { self }
    public static var sqlType: SQLType { .unknown }
}
extension Optional: SQLBindable where Wrapped: SQLBindable {
    public var sqlValue: SQLValue { self?.sqlValue ?? .null }
    public static var sqlType: SQLType { Wrapped.sqlType }
}

extension SQLBindable {
    /// This parameter's type: the Swift type's, else the value's own kind.
    public var boundType: SQLType {
        guard Self.sqlType == .unknown else { return Self.sqlType }
        switch sqlValue {
        case .null: return .unknown
        case .integer: return .integer
        case .real: return .real
        case .bool: return .bool
        case .text: return .text
        case .blob: return .blob
        }
    }
}
