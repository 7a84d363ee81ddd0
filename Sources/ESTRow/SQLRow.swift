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
    /// A NOT NULL column that reads as NULL or another type is a damaged row, never a default.
    func requiredString(_ name: String) throws -> String
    func requiredInt(_ name: String) throws -> Int64
    func requiredData(_ name: String) throws -> Data
    /// The column's value as it reads, for the message about a row the model refuses.
    func describe(_ name: String) -> String
}
