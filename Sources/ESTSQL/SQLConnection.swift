/// One connection to a store's database, as the store and its migrator use it on either
/// engine. Parameters are written `?` and bound in order; each engine's connection takes
/// them so (PostgreSQL's numbers them `$1..$n`). Not shared between threads.
public protocol SQLConnection: AnyObject {
    /// What this engine's SQL does differently.
    var dialect: any SQLDialect { get }
    /// Runs one statement with bound parameters; returns the rows it produced.
    func rows(_ sql: String, _ params: [any SQLBindable]) throws -> [SQLRow]
    /// Runs one statement; returns how many rows it inserted, updated or deleted.
    func run(_ sql: String, _ params: [any SQLBindable]) throws -> Int
    /// Runs parameterless SQL text (DDL): migrations.
    func script(_ sql: String) throws
    /// Runs `body` in one transaction: all of it commits or none of it does. Nested calls
    /// join the outer transaction.
    func inTransaction<T>(_ body: () throws -> T) throws -> T
    /// Runs one statement whose outcome the caller does not read (a log row's INSERT). An
    /// engine may send it, inside a transaction, with the next statement or the commit
    /// (PostgreSQL's pipeline: no round trip of its own); its error is then thrown there and
    /// the transaction fails as it would have at once. SQLite runs it at once.
    func runLater(_ sql: String, _ params: [any SQLBindable]) throws
    /// Runs statements that do not depend on each other (none reads what another writes),
    /// in order; returns each one's rows. PostgreSQL sends them in one round trip; the
    /// first failure is thrown and those after it did not run.
    func rowsTogether(_ statements: [(sql: String, params: [any SQLBindable])]) throws -> [[SQLRow]]
}

extension SQLConnection {
    public func runLater(_ sql: String, _ params: [any SQLBindable]) throws { _ = try run(sql, params) }
    public func rowsTogether(_ statements: [(sql: String, params: [any SQLBindable])]) throws -> [[SQLRow]] {
        try statements.map { try rows($0.sql, $0.params) }
    }
}

extension SQLConnection {
    /// The first column of the first row (`.null` when there is no row).
    public func value(_ sql: String, _ params: [any SQLBindable] = []) throws -> SQLValue {
        try rows(sql, params).first?.values.first ?? .null
    }

    /// A `count(*)` (or other integer) result; a value of another kind is an error.
    public func count(_ sql: String, _ params: [any SQLBindable] = []) throws -> Int64 {
        let v = try value(sql, params)
        guard case .integer(let n) = v else { throw SQLColumnError(column: "count", found: "\(v)") }
        return n
    }
}
