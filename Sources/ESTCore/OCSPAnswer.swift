import ESTOpenSSL
import Foundation

/// The authority's answer to an OCSP request: the complete DER OCSPResponse (RFC 6960
/// §4.2.1), what HTTP caching may be allowed for it (RFC 5019 §6), and for the log line and
/// the metrics its response status and a summary. Every answer is HTTP 200 with
/// `application/ocsp-response`, an unsuccessful one included (RFC 6960 §2.3).
public struct OCSPAnswer: Sendable {
    public var der: Data
    /// "successful", or the OCSPFailureStatus name (a fixed set: a metric label).
    public var status: String
    /// thisUpdate and nextUpdate of a response that may be cached (RFC 5019 §6.2:
    /// Last-Modified, and max-age up to nextUpdate); nil for one that may not (a nonce
    /// was echoed, or it is unsuccessful).
    public var cacheableFrom: Date?
    public var cacheableUntil: Date?
    /// For the log line: what it said, e.g. "good 1a2b; revoked 3c (keyCompromise)".
    public var summary: String

    public init(der: Data, status: String, cacheableFrom: Date? = nil, cacheableUntil: Date? = nil, summary: String) {
        self.der = der
        self.status = status
        self.cacheableFrom = cacheableFrom
        self.cacheableUntil = cacheableUntil
        self.summary = summary
    }

    /// An unsigned answer (RFC 6960 §2.3), the reason only for the log.
    public static func unsuccessful(_ status: OCSPFailureStatus, _ reason: String) -> OCSPAnswer {
        OCSPAnswer(der: OCSPResponse.unsuccessful(status), status: status.description, summary: "\(status): \(reason)")
    }
}
