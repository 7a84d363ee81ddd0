internal import COpenSSL
import Foundation

/// RFC 5280 §6 path validation by OpenSSL against an explicit set of trust anchors.
///
/// The OpenSSL trust store is built once, in `init`, and shared by every `verify`: a
/// profile's verifier is made once per store version, not once per request (each build
/// costs OpenSSL decoder and algorithm look-ups). An X509_STORE may be used by several
/// threads at once, as OpenSSL's own SSL_CTX does; each `verify` has its own context.
public final class ChainVerifier: @unchecked Sendable {
    public let anchors: [Certificate]
    public let intermediates: [Certificate]
    private let store: OpaquePointer?
    /// Borrowed pointers into `intermediates`, which this object keeps alive.
    private let untrusted: OpaquePointer?

    /// Any certificate in `anchors` may end a path, root or not (X509_V_FLAG_PARTIAL_CHAIN):
    /// a profile may trust an intermediate without trusting everything its root signed.
    public init(anchors: [Certificate], intermediates: [Certificate] = []) {
        self.anchors = anchors
        self.intermediates = intermediates
        store = X509_STORE_new()
        if let store {
            for a in anchors { X509_STORE_add_cert(store, a.complete) }
            _ = OpenSSLError.drainQueue()  // duplicate anchors are harmless
        }
        untrusted = estfcgi_sk_X509_new()
        if let untrusted { for c in intermediates { _ = estfcgi_sk_X509_push(untrusted, c.complete) } }
    }

    deinit {
        X509_STORE_free(store)
        estfcgi_sk_X509_free(untrusted)
    }

    public enum Outcome: Equatable {
        case trusted
        case untrusted(String)
    }

    public func verify(_ leaf: Certificate, at time: Date = Date()) -> Outcome {
        guard !anchors.isEmpty else { return .untrusted("no trust anchors configured") }
        guard let store, let untrusted else { return .untrusted("out of memory building the trust store") }
        guard let ctx = X509_STORE_CTX_new() else { return .untrusted("X509_STORE_CTX_new failed") }
        defer { X509_STORE_CTX_free(ctx) }
        guard X509_STORE_CTX_init(ctx, store, leaf.complete, untrusted) == 1 else {
            return .untrusted(OpenSSLError("X509_STORE_CTX_init").description)
        }
        let param = X509_STORE_CTX_get0_param(ctx)
        X509_VERIFY_PARAM_set_time(param, time_t(time.timeIntervalSince1970))
        X509_VERIFY_PARAM_set_flags(param, UInt(X509_V_FLAG_PARTIAL_CHAIN))
        let ok = X509_verify_cert(ctx) == 1
        let code = X509_STORE_CTX_get_error(ctx)
        _ = OpenSSLError.drainQueue()
        if ok { return .trusted }
        return .untrusted(String(cString: X509_verify_cert_error_string(Int(code))))
    }
}
