/// A failed libpq call or statement, with its SQLSTATE (PostgreSQL's error code).
public struct PGError: Error, CustomStringConvertible, Sendable {
    /// Five characters, e.g. "23505"; "08006" when the connection failed.
    public let sqlState: String
    public let message: String
    /// The constraint a constraint violation names, when the server says.
    public let constraint: String?
    /// The failed statement was queued by `PGConnection.executeLater` under this
    /// `deferredOwner` (and reported by a later statement's round trip).
    public internal(set) var deferredOwner: Int?

    public init(sqlState: String, message: String, constraint: String? = nil) {
        self.sqlState = sqlState
        self.message = message
        self.constraint = constraint
    }

    public var description: String { "PostgreSQL error \(sqlState): \(message)" }

    /// 40001: a SERIALIZABLE (or REPEATABLE READ) transaction lost to a concurrent one.
    public var isSerializationFailure: Bool { sqlState == "40001" }
    /// 40P01: the deadlock detector chose this transaction.
    public var isDeadlock: Bool { sqlState == "40P01" }
    /// 23505: a UNIQUE or PRIMARY KEY violation.
    public var isUniqueViolation: Bool { sqlState == "23505" }
    /// 23503: a FOREIGN KEY violation.
    public var isForeignKeyViolation: Bool { sqlState == "23503" }
    /// Class 23: any integrity constraint violation.
    public var isConstraintViolation: Bool { sqlState.hasPrefix("23") }
    /// Class 08 (connection exceptions), 57P01-57P03 (the server is shutting down or
    /// starting), 53300 (too many connections): the server could not be reached or went away.
    public var isConnectionFailure: Bool {
        sqlState.hasPrefix("08") || ["57P01", "57P02", "57P03", "53300"].contains(sqlState)
    }
    /// 53100: disk full.
    public var isDiskFull: Bool { sqlState == "53100" }
    /// Running the whole transaction again may succeed: 40001 and 40P01.
    public var isRetryable: Bool { isSerializationFailure || isDeadlock }
}
