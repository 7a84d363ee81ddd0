/// One bootstrap certificate an operator has denied (`estfcgi bootstrap deny`), without
/// distrusting the factory CA that issued it: by serial or by SHA-256 fingerprint.
public struct BootstrapDenial: Sendable, Equatable {
    public enum Key: Sendable, Equatable, CustomStringConvertible {
        /// Lowercase hex without leading zeros, as `Serial.normalize` gives.
        case serial(String)
        /// SHA-256 of the certificate's DER, lowercase hex.
        case fingerprint(String)

        public var description: String {
            switch self {
            case .serial(let s): return "serial \(s)"
            case .fingerprint(let f): return "fingerprint \(f)"
            }
        }
    }

    /// The name of the store CA that issued the bootstrap certificate.
    public var issuer: String
    public var key: Key
    public var reason: String
    public var createdAt: String

    public init(issuer: String, key: Key, reason: String = "", createdAt: String = "") {
        self.issuer = issuer
        self.key = key
        self.reason = reason
        self.createdAt = createdAt
    }

    /// A serial in any form operators type, or a 64-digit fingerprint (colons allowed).
    public static func key(parsing text: String) throws -> Key {
        let hex = text.replacingOccurrences(of: ":", with: "").lowercased()
        if hex.count == 64, hex.allSatisfy(\.isHexDigit) { return .fingerprint(hex) }
        guard let serial = Serial.normalize(text) else {
            throw CAError.badRequest("'\(text)' is neither a hex serial nor a SHA-256 fingerprint")
        }
        return .serial(serial)
    }
}
