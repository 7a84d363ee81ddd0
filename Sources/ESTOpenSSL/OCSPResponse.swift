import Foundation

/// Complete DER OCSPResponse messages (RFC 6960 §4.2.1), served as application/ocsp-response.
/// Successful ones come from OCSPResponseBuilder.
public enum OCSPResponse {
    /// A response without responseBytes: malformedRequest, internalError, tryLater,
    /// sigRequired or unauthorized (RFC 6960 §2.3). It is not signed, and the same for every
    /// request, so it can be sent without touching a key.
    public static func unsuccessful(_ status: OCSPFailureStatus) -> Data { status.responseDER }
}
