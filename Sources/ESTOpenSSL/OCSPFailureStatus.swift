import Foundation

/// The OCSPResponseStatus values other than successful (RFC 6960 §4.2.1; 4 is unused).
/// A response with one of them has no responseBytes and no signature (RFC 6960 §2.3).
public enum OCSPFailureStatus: Int, CaseIterable, Sendable, CustomStringConvertible {
    /// Illegal confirmation request: the request does not parse or is out of bounds.
    case malformedRequest = 1
    /// Internal error in issuer.
    case internalError = 2
    /// Try again later.
    case tryLater = 3
    /// Must sign the request.
    case sigRequired = 5
    /// Request unauthorized: RFC 5019 §2.2.3 for a CA this responder does not serve.
    case unauthorized = 6

    public var description: String {
        switch self {
        case .malformedRequest: return "malformedRequest"
        case .internalError: return "internalError"
        case .tryLater: return "tryLater"
        case .sigRequired: return "sigRequired"
        case .unauthorized: return "unauthorized"
        }
    }

    /// The complete DER OCSPResponse: `SEQUENCE { responseStatus ENUMERATED }`.
    public var responseDER: Data { DER.sequence([DER.tlv(0x0a, Data([UInt8(rawValue)]))]) }
}
