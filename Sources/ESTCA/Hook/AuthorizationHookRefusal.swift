import ESTCore

/// A request the authorization hook did not allow: 403 with the hook's reason when it
/// denied, 503 with Retry-After when it gave no clear answer or had no free slot (the hook
/// fails closed; the device tries again later, RFC 9110 §10.2.3).
public struct AuthorizationHookRefusal: ESTStatusError, CustomStringConvertible, Equatable {
    public let httpStatus: Int
    public let reason: String
    let retryAfter: Int?

    /// The bound on the hook's reason as the client and the audit see it, in UTF-8 bytes.
    public static let reasonLimit = 200

    static func denied(_ reason: String?, requestID: String) -> AuthorizationHookRefusal {
        // The hook's text is client-visible: control characters escaped, bounded.
        let shown = reason.map { PrintableText.escaped($0, limit: reasonLimit) } ?? "no reason given"
        // The request id last: `estfcgi stats` groups refusals by what precedes the first ": ".
        return AuthorizationHookRefusal(httpStatus: 403, reason: "denied by the authorization hook: \(shown) (request \(requestID))",
                                        retryAfter: nil)
    }

    static func failed(_ why: String, requestID: String) -> AuthorizationHookRefusal {
        AuthorizationHookRefusal(httpStatus: 503, reason: "authorization hook failed: \(PrintableText.escaped(why, limit: reasonLimit)) (request \(requestID))",
                                 retryAfter: 10)
    }

    static func busy(limit: Int) -> AuthorizationHookRefusal {
        AuthorizationHookRefusal(httpStatus: 503, reason: "all \(limit) authorization hook slots are busy", retryAfter: 2)
    }

    public var responseHeaders: [(String, String)] { retryAfter.map { [("Retry-After", String($0))] } ?? [] }
    /// Refusal kinds of their own (metrics): a hook that is down is not a store error.
    public var kind: String { httpStatus == 403 ? Self.deniedKind : Self.unavailableKind }
    public static let deniedKind = "hook_denied"
    public static let unavailableKind = "hook_unavailable"
    public var description: String { reason }
}
