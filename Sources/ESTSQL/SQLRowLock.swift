/// How a SELECT locks the rows it reads until commit, where writers run side by side
/// (PostgreSQL); nothing where they are serial already (SQLite's one writer).
public enum SQLRowLock: Sendable {
    /// The row will be updated (not its key) or read to decide a write: `FOR NO KEY UPDATE`.
    case noKeyUpdate
    /// The row will be deleted or its key changed: `FOR UPDATE`.
    case update
    /// The row must not change until commit: `FOR SHARE`.
    case share
    /// The row must not be deleted (nor its key change) until commit, while others may still
    /// update it: `FOR KEY SHARE`, the lock a foreign key check takes on its parent.
    case keyShare
}
