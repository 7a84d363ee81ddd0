import Foundation

/// One row of a result, on either engine: its values in column order, and by column name.
/// The optional getters read nullable columns (NULL is nil); the throwing ones read
/// columns that must hold a value, and throw an error naming the column otherwise.
public struct SQLRow: Sendable {
    public let names: [String]
    public let values: [SQLValue]

    public init(names: [String], values: [SQLValue]) {
        self.names = names
        self.values = values
    }

    public subscript(_ name: String) -> SQLValue {
        names.firstIndex(of: name).map { values[$0] } ?? .null
    }

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

    /// The column's value as it reads, for the message about a row the model refuses.
    public func describe(_ name: String) -> String {
        names.contains(name) ? "\(self[name])" : "no such column"
    }

    private func missing(_ name: String) -> SQLColumnError { SQLColumnError(column: name, found: describe(name)) }

    public func requiredString(_ name: String) throws -> String {
        guard let v = string(name) else { throw missing(name) }
        return v
    }
    public func requiredInt(_ name: String) throws -> Int64 {
        guard let v = int(name) else { throw missing(name) }
        return v
    }
    public func requiredData(_ name: String) throws -> Data {
        guard let v = data(name) else { throw missing(name) }
        return v
    }
    /// A boolean column, or an integer flag (0/1) as the shared schema keeps them; NULL or
    /// another value is an error, never `false`.
    public func requiredBool(_ name: String) throws -> Bool {
        switch self[name] {
        case .bool(let v): return v
        case .integer(0): return false
        case .integer(1): return true
        default: throw missing(name)
        }
    }
    /// A nullable integer column: NULL is nil, a value of another type an error.
    public func optionalInt(_ name: String) throws -> Int64? {
        switch self[name] {
        case .null where names.contains(name): return nil
        case .integer(let v): return v
        default: throw missing(name)
        }
    }
    /// A nullable text column: NULL is nil, a value of another type an error.
    public func optionalString(_ name: String) throws -> String? {
        switch self[name] {
        case .null where names.contains(name): return nil
        case .text(let v): return v
        default: throw missing(name)
        }
    }
}
