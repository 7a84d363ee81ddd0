/// Whether a first enrollment is signed at once or waits for an operator (`--approval`,
/// RFC 7030 §4.2.3: 202 Accepted with Retry-After until `estfcgi request approve`).
public enum ApprovalMode: String, Sendable, CaseIterable {
    case auto
    case manual

    public static let names = allCases.map(\.rawValue).joined(separator: "|")
}
