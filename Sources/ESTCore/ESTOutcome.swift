/// What one request did: the response, and what the adapter's log line says about it
/// (the audit row is already written).
public struct ESTOutcome: Sendable {
    public var response: ESTResponse
    public var operation: String
    public var profile: String?
    public var client: String?
    public var reason: String
    public var serial: String?

    /// `estfcgi: op=simpleenroll profile=iot client="CN=dev" status=200 serial=.. reason="issued"`.
    public var logLine: String {
        func q(_ s: String) -> String { "\"" + s.replacingOccurrences(of: "\"", with: "'") + "\"" }
        var line = "estfcgi: op=\(operation) profile=\(profile ?? "-") client=\(q(client ?? "-")) status=\(response.status)"
        if let serial { line += " serial=\(serial)" }
        line += " reason=\(q(reason))"
        return line
    }

    var auditEvent: AuditEvent {
        AuditEvent(operation: operation, profile: profile, client: client, status: response.status,
                   outcome: response.status < 300 ? .ok : .refused, reason: reason, serial: serial)
    }
}
