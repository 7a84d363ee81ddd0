import Foundation

/// A value bound to a parameter or read from a column. Columns are read by their type:
/// smallint/integer/bigint as `.integer`, boolean as `.bool`, bytea as `.bytea`, every
/// other type as its text.
public enum PGValue: Equatable, Sendable {
    case null
    case integer(Int64)
    case bool(Bool)
    case text(String)
    case bytea(Data)
}

/// A Swift value that binds to a `$n` parameter. The type travels with it, so a nil
/// `String?` is a NULL of type text (PostgreSQL needs a type for `$1 IS NULL`).
public protocol PGBindable {
    var pgValue: PGValue { get }
    static var pgTypeOID: UInt32 { get }
}

enum PGTypeOID {
    static let bool: UInt32 = 16
    static let bytea: UInt32 = 17
    static let int8: UInt32 = 20
    static let int2: UInt32 = 21
    static let int4: UInt32 = 23
    static let text: UInt32 = 25
    static let unknown: UInt32 = 0
}

extension Int: PGBindable {
    public var pgValue: PGValue { .integer(Int64(self)) }
    public static var pgTypeOID: UInt32 { PGTypeOID.int8 }
}
extension Int64: PGBindable {
    public var pgValue: PGValue { .integer(self) }
    public static var pgTypeOID: UInt32 { PGTypeOID.int8 }
}
extension Bool: PGBindable {
    public var pgValue: PGValue { .bool(self) }
    public static var pgTypeOID: UInt32 { PGTypeOID.bool }
}
extension String: PGBindable {
    public var pgValue: PGValue { .text(self) }
    public static var pgTypeOID: UInt32 { PGTypeOID.text }
}
extension Data: PGBindable {
    public var pgValue: PGValue { .bytea(self) }
    public static var pgTypeOID: UInt32 { PGTypeOID.bytea }
}
extension PGValue: PGBindable {
    public var pgValue: PGValue { self }
    /// Untyped: the server infers it from the context.
    public static var pgTypeOID: UInt32 { PGTypeOID.unknown }
}
extension Optional: PGBindable where Wrapped: PGBindable {
    public var pgValue: PGValue { self?.pgValue ?? .null }
    public static var pgTypeOID: UInt32 { Wrapped.pgTypeOID }
}

extension PGBindable {
    /// The type of this parameter: a PGValue's own kind, else the Swift type's.
    var typeOID: UInt32 {
        guard Self.pgTypeOID == PGTypeOID.unknown else { return Self.pgTypeOID }
        switch pgValue {
        case .null: return PGTypeOID.unknown
        case .integer: return PGTypeOID.int8
        case .bool: return PGTypeOID.bool
        case .text: return PGTypeOID.text
        case .bytea: return PGTypeOID.bytea
        }
    }
}
