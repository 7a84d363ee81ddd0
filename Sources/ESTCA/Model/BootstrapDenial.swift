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

    /// A serial in any form operators type (a leading '-' for the negative serials some
    /// factories issue), or a 64-digit SHA-256 fingerprint (colons allowed; `serial:` or
    /// `sha256:` in front says which, for a 64-digit serial).
    public static func key(parsing text: String) throws -> Key {
        var rest = Substring(text)
        var kind: String? = nil
        for prefix in ["serial:", "sha256:"] where rest.hasPrefix(prefix) { kind = prefix; rest = rest.dropFirst(prefix.count) }
        let hex = rest.replacingOccurrences(of: ":", with: "").lowercased()
        if kind != "serial:", hex.utf8.count == 64, hex.utf8.allSatisfy(Serial.isASCIIHexDigit) { return .fingerprint(hex) }
        let negative = rest.hasPrefix("-")
        guard kind != "sha256:", let serial = Serial.normalize(String(negative ? rest.dropFirst() : rest)) else {
            throw CAError.badRequest("'\(text)' is neither a hex serial nor a SHA-256 fingerprint")
        }
        return .serial(negative && serial != "0" ? "-" + serial : serial)
    }
}
