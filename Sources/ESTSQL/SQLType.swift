/// The type a parameter is sent as. PostgreSQL needs one even for a NULL (`$1 IS NULL`);
/// SQLite ignores it.
public enum SQLType: Sendable {
    /// Whatever the value is (a NULL: the server infers it from the context).
    case unknown
    case integer, real, bool, text, blob
}
