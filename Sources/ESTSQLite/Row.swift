import Foundation
import ESTRow

/// One row of a result: its values in column order, and by column name.
public struct Row: Sendable {
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
    public func bool(_ name: String) -> Bool { (int(name) ?? 0) != 0 }
}

extension Row: SQLRow {
    public func describe(_ name: String) -> String { "\(self[name])" }
    /// The backend's own error, so that the store maps it as it maps every other.
    public func missingColumn(_ name: String) -> any Error { SQLiteError(code: 1, message: "column \(name) is NULL or of another type") }
}
