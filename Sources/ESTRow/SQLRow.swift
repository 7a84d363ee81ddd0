import Foundation

/// A result row as the store backends' wrappers give it (ESTSQLite.Row, ESTPostgres.PGRow):
/// typed reads by column name, so that one mapping from rows to records serves every
/// backend (ESTStoreRecords).
public protocol SQLRow {
    func string(_ name: String) -> String?
    func int(_ name: String) -> Int64?
    func data(_ name: String) -> Data?
    /// An integer flag (0/1) or a boolean column.
    func bool(_ name: String) -> Bool
    /// The column's value as it reads, for the message about a row the model refuses.
    func describe(_ name: String) -> String
    /// What reading a NOT NULL column that is NULL or of another type throws.
    func missingColumn(_ name: String) -> any Error
}

// A NOT NULL column that reads as NULL or another type is a damaged row, never a default.
extension SQLRow {
    public func requiredString(_ name: String) throws -> String {
        guard let v = string(name) else { throw missingColumn(name) }
        return v
    }

    public func requiredInt(_ name: String) throws -> Int64 {
        guard let v = int(name) else { throw missingColumn(name) }
        return v
    }

    public func requiredData(_ name: String) throws -> Data {
        guard let v = data(name) else { throw missingColumn(name) }
        return v
    }
}
