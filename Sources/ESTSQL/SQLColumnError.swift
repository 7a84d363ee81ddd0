/// A column that is missing, NULL where a value is required, or of another type than the
/// reader expects: a damaged row, never a default.
public struct SQLColumnError: Error, CustomStringConvertible, Sendable {
    public let column: String
    /// What the column holds (`null`, `text("x")`, or "no such column").
    public let found: String

    public init(column: String, found: String) {
        self.column = column
        self.found = found
    }

    public var description: String { "column \(column) is \(found), not the value the store requires" }
}
