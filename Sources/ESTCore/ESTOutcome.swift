import ESTOpenSSL
/// What one request did: the response, and what the adapter's log line says about it
/// (the audit row is already written).
public struct ESTOutcome: Sendable {
    public var response: ESTResponse
    public var operation: String
    public var profile: String?
    public var client: String?
    public var reason: String
    public var serial: String?
    /// Whether the request reached a policy decision and so has an audit record; the others
    /// (unrouted, wrong method or media type, no client certificate, public reads) have
    /// only their log line, so that anonymous clients cannot grow the store.
    public var audited = false
    /// Whether the route's label is proven to name a profile: the authority answered, or
    /// refused with a decision it makes only after finding the profile (not 404, not 5xx).
    /// A label the client chose may name a metric series only then (a store that is down
    /// proves nothing).
    public var profileProven = false
    /// Set when the authority recorded the audit event with the certificate it issued.
    var recordedWithCertificate = false
    /// The WWW-Authenticate challenge a 401 carries: set once the profile is known to take
    /// HTTP authentication (RFC 9110 §11.6.1; libest's estclient sends credentials only then).
    var challenge: String? = nil
    /// The realm of a challenge not yet decided: set when the request was let on before its
    /// body on the authority's last-known settings, so a later 401 asks for current ones.
    var realm: String? = nil
    /// The kind of refusal (`ESTStatusError.kind`), nil for an answer that refused nothing.
    public var refusal: String? = nil
    /// The OCSPResponseStatus of an OCSP answer ("successful", "unauthorized", ...), for the metrics.
    public var ocspStatus: String? = nil
    /// Set when writing the audit record failed (e.g. a full disk), for the log line.
    public var auditFailure: String? = nil

    /// `estfcgi: op=simpleenroll profile=iot client="CN=dev" status=200 serial=.. reason="issued" audit=recorded`.
    /// Every client-chosen field is escaped and bounded (PrintableText).
    public var logLine: String {
        func q(_ s: String) -> String {
            "\"" + PrintableText.escaped(s, limit: PrintableText.fieldLimit).replacingASCII(where: { $0 == 0x22 }, with: 0x27) + "\""
        }
        var line = "estfcgi: op=\(operation) profile=\(PrintableText.escaped(profile ?? "-", limit: 64)) client=\(q(client ?? "-"))"
        line += " status=\(response.status)"
        if let serial { line += " serial=\(serial)" }
        line += " reason=\(q(reason))"
        if let auditFailure { line += " audit=\(q("failed: " + auditFailure))" } else if audited { line += " audit=recorded" }
        return line
    }

    /// The record of a successful issuance, before the authority adds its serial.
    func issuedEvent(subject: DistinguishedName) -> AuditEvent {
        var success = self
        success.response = ESTResponse(status: 200)
        success.reason = "issued \(subject)"
        return success.auditEvent
    }

    var auditEvent: AuditEvent {
        func bounded(_ s: String) -> String { PrintableText.escaped(s, limit: PrintableText.fieldLimit) }
        return AuditEvent(operation: operation, profile: profile, client: client.map(bounded), status: response.status,
                          outcome: response.status == 202 ? .pending : response.status < 300 ? .ok : .refused, reason: bounded(reason), serial: serial)
    }
}
