import ESTCore
import ESTOpenSSL
import Foundation

/// What the authorization hook is sent (docs/integrations.md): one JSON object, keys sorted,
/// absent values as null. Everything in it was already checked by estfcgi (the CSR's
/// signature, its subject and subjectAltName read strictly, the client's credentials).
public struct AuthorizationDocument: Sendable {
    /// A fresh random id per hook call; the audit record names it too, so the operator's
    /// logs and estfcgi's can be matched.
    public var requestID: String
    /// simpleenroll, simplereenroll or serverkeygen.
    public var operation: ESTOperation
    public var profile: String?
    /// The device the CSR names under the profile's --device-id rule; nil when it names none.
    public var device: String?
    /// What would be issued: the subject (RFC 4514 string) and the subjectAltNames.
    public var subject: String
    public var subjectAltNames: [String]
    /// The CSR as the client sent it (for serverkeygen, the template), PEM.
    public var csrPEM: String
    /// The TLS client certificate estfcgi verified (against the profile's trust; for a
    /// renewal, the certificate renewed), PEM; nil when it verified none (--auth http).
    public var clientCertificatePEM: String?
    /// REMOTE_USER, when HTTP authentication took part.
    public var httpUser: String?

    public init(requestID: String, operation: ESTOperation, profile: String?, device: String?, subject: String,
                subjectAltNames: [String], csrPEM: String, clientCertificatePEM: String?, httpUser: String?) {
        self.requestID = requestID
        self.operation = operation
        self.profile = profile
        self.device = device
        self.subject = subject
        self.subjectAltNames = subjectAltNames
        self.csrPEM = csrPEM
        self.clientCertificatePEM = clientCertificatePEM
        self.httpUser = httpUser
    }

    /// 16 random bytes, hex.
    public static func newRequestID() -> String {
        (try? SecureRandom.bytes(16).map { String(format: "%02x", $0) }.joined()) ?? UUID().uuidString.lowercased()
    }

    public func json() throws -> [UInt8] {
        func nullable(_ s: String?) -> Any { s ?? NSNull() }
        let object: [String: Any] = [
            "request_id": requestID, "operation": operation.rawValue, "profile": nullable(profile),
            "device": nullable(device), "subject": subject, "sans": subjectAltNames, "csr": csrPEM,
            "client_certificate": nullable(clientCertificatePEM), "http_user": nullable(httpUser),
        ]
        return Array(try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes]))
    }
}
