/// The type OIDs of the parameters and columns the store uses (pg_type.h).
enum PGTypeOID {
    static let bool: UInt32 = 16
    static let bytea: UInt32 = 17
    static let int8: UInt32 = 20
    static let int2: UInt32 = 21
    static let int4: UInt32 = 23
    static let text: UInt32 = 25
    static let oid: UInt32 = 26
    static let float8: UInt32 = 701
    static let unknown: UInt32 = 0

    /// The OID a parameter of `type` is prepared with.
    static func of(_ type: SQLType) -> UInt32 {
        switch type {
        case .unknown: return unknown
        case .integer: return int8
        case .real: return float8
        case .bool: return bool
        case .text: return text
        case .blob: return bytea
        }
    }
}
