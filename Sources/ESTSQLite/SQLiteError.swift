internal import CSQLite

/// A failed SQLite call, with its extended result code.
public struct SQLiteError: Error, CustomStringConvertible, Sendable {
    public let code: Int32
    public let message: String

    public init(code: Int32, message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "SQLite error \(code): \(message)" }
    /// SQLITE_CONSTRAINT (any extended code): a UNIQUE, FOREIGN KEY or CHECK violation.
    public var isConstraintViolation: Bool { code & 0xff == SQLITE_CONSTRAINT }
    /// SQLITE_CONSTRAINT_UNIQUE or _PRIMARYKEY: a duplicate key.
    public var isUniqueViolation: Bool { code == estfcgi_sqlite_constraint_unique() || code == estfcgi_sqlite_constraint_primarykey() }
    /// SQLITE_FULL: the disk (or the database's size limit) is full.
    public var isFull: Bool { code & 0xff == SQLITE_FULL }
    /// SQLITE_BUSY or SQLITE_LOCKED (any extended code).
    public var isBusy: Bool { code & 0xff == SQLITE_BUSY || code & 0xff == SQLITE_LOCKED }
}
