/// A store whose schema this binary cannot bring to its version.
public struct MigrationError: Error, CustomStringConvertible, Sendable {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
