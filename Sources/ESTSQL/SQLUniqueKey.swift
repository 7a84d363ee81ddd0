/// A UNIQUE constraint or index, as each engine names it in a violation: PostgreSQL by the
/// constraint's (or index's) name, SQLite by the index's name or its table's columns.
public struct SQLUniqueKey: Sendable {
    public let name: String
    public let table: String
    public let columns: [String]

    public init(name: String, table: String, columns: [String]) {
        self.name = name
        self.table = table
        self.columns = columns
    }
}
