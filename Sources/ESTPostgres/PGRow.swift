import Foundation
import ESTRow

/// One row of a result: its values in column order, and by column name (as ESTSQLite.Row).
public struct PGRow: Sendable {
    public let names: [String]
    public let values: [PGValue]

    public init(names: [String], values: [PGValue]) {
        self.names = names
        self.values = values
    }

    public subscript(_ name: String) -> PGValue {
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
        case .bytea(let v): return v
        case .text(let v): return Data(v.utf8)
        default: return nil
        }
    }
    /// A boolean column, or an integer flag (0/1) as the shared schema keeps them.
    public func bool(_ name: String) -> Bool {
        switch self[name] {
        case .bool(let v): return v
        case .integer(let v): return v != 0
        default: return false
        }
    }
}

extension PGRow: SQLRow {
    public func describe(_ name: String) -> String { "\(self[name])" }
    /// The backend's own error, so that the store maps it as it maps every other.
    public func missingColumn(_ name: String) -> any Error { PGError(sqlState: "XX000", message: "column \(name) is NULL or of another type") }
}
