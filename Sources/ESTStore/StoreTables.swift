import ESTSQL

/// The store's tables as `store copy` moves them: every table that holds the store's data,
/// parents before children (certificates by id: a successor's replaces_id is older). A
/// table the schema gains must be added here: `store copy` refuses a source holding a table
/// it would not carry, and a test compares this list with each engine's catalog.
public enum StoreTables {
    public static let copied: [(name: String, order: String)] = [
        ("cas", "id"), ("ocsp_signers", "ca_id"), ("ca_generations", "id"), ("profiles", "id"), ("profile_trust", "profile_id, position, ca_id"),
        ("profile_cacerts", "profile_id, position, ca_id"), ("devices", "id"), ("certificates", "id"),
        ("enrollment_requests", "id"), ("crls", "id"), ("key_crls", "id"), ("bootstrap_denials", "id"), ("audit", "id"),
        ("notify_receivers", "id"), ("notify_outbox", "id"), ("notify_deliveries", "receiver_id, outbox_id"),
    ]

    /// Tables every store has of its own, made by its schema: the version it is at, and the
    /// material version its triggers keep.
    public static let ownedByEachStore: Set<String> = ["schema_version", "material_version"]

    /// The tables of the connected store that `store copy` would not carry (none, or the
    /// schema has a table this list lacks).
    public static func uncopied(on db: any SQLConnection) throws -> [String] {
        let known = Set(copied.map(\.name)).union(ownedByEachStore)
        return try db.dialect.tables(on: db).filter { !known.contains($0) }
    }
}
