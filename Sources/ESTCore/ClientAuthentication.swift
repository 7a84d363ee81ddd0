/// What authenticates a first enrollment under a profile (RFC 7030 §3.2.3, §3.3.2): the
/// TLS client certificate, HTTP authentication done by the web server (its REMOTE_USER),
/// or both. A re-enrollment is always authenticated by the certificate it renews, and
/// also by HTTP under `certificateAndHTTP`.
public enum ClientAuthentication: String, Sendable, CaseIterable {
    case certificate = "cert"
    case http = "http"
    case certificateAndHTTP = "cert+http"

    /// A renewal presents the certificate it renews, whatever the profile says.
    public func requiresCertificate(renewal: Bool) -> Bool { renewal || self != .http }
    /// HTTP authentication for a first enrollment under `http` and `cert+http`; for a
    /// renewal only under `cert+http`.
    public func requiresHTTP(renewal: Bool) -> Bool { renewal ? self == .certificateAndHTTP : self != .certificate }
    /// Whether a 401 under this profile challenges for HTTP Basic credentials.
    public var takesHTTP: Bool { self != .certificate }

    public static let names = allCases.map(\.rawValue).joined(separator: "|")
}
