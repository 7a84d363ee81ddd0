/// Why an OCSP request is refused, with the response status that answers it.
public enum OCSPRequestError: Error, Equatable, Sendable, CustomStringConvertible {
    /// Not one DER OCSPRequest (RFC 6960 §4.1.1), trailing bytes included, or a field out of shape.
    case notDER(String)
    /// A tbsRequest version other than v1 (RFC 6960 §4.1.1: `version [0] EXPLICIT Version DEFAULT v1`).
    case unsupportedVersion(String)
    /// An empty requestList.
    case noCertID
    /// More CertIDs than the responder answers in one message.
    case tooManyCertIDs(count: Int, limit: Int)
    /// A CertID hashAlgorithm outside OCSPHashAlgorithm (the dotted OID).
    case unsupportedHashAlgorithm(String)
    /// A nonce extension whose value is not one OCTET STRING of 1 to 128 octets (RFC 9654 §2.1).
    case malformedNonce(String)
    /// An extension marked critical that this responder does not implement (RFC 6960 §4.4:
    /// unrecognised extensions are ignored unless critical), or one present twice.
    case unsupportedExtension(String)
    /// The GET form's path segment is not URL-encoded base64 (RFC 6960 Appendix A.1).
    case badGETEncoding(String)

    /// The OCSPResponseStatus to answer with. Everything is malformedRequest (RFC 6960 §2.3:
    /// "the request received does not conform to the OCSP syntax") except an unknown CertID
    /// hash algorithm: the responder cannot tell which CA is meant, which RFC 5019 §2.2.3 answers
    /// with unauthorized, as for a CA it does not serve. Too many CertIDs is malformedRequest
    /// too: RFC 6960 sets no limit, and an RFC 5019 §2.1.1 client sends exactly one.
    public var responseStatus: OCSPFailureStatus {
        switch self {
        case .unsupportedHashAlgorithm: return .unauthorized
        default: return .malformedRequest
        }
    }

    public var description: String {
        switch self {
        case .notDER(let why): return "not a DER OCSPRequest: \(why)"
        case .unsupportedVersion(let v): return "OCSPRequest version \(v), only v1 (0) exists"
        case .noCertID: return "the OCSPRequest asks about no certificate"
        case .tooManyCertIDs(let count, let limit): return "the OCSPRequest asks about \(count) certificates (at most \(limit))"
        case .unsupportedHashAlgorithm(let oid): return "CertID hash algorithm \(oid) is not SHA-1, SHA-256, SHA-384 or SHA-512"
        case .malformedNonce(let why): return "nonce extension: \(why)"
        case .unsupportedExtension(let why): return "extension \(why)"
        case .badGETEncoding(let why): return "GET request path: \(why)"
        }
    }
}
