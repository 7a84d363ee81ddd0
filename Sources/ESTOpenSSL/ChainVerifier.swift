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
            for a in anchors { X509_STORE_add_cert(store, a.x509) }
            _ = OpenSSLError.drainQueue()  // duplicate anchors are harmless
        }
        untrusted = estfcgi_sk_X509_new()
        if let untrusted { for c in intermediates { _ = estfcgi_sk_X509_push(untrusted, c.x509) } }
    }

    deinit {
        X509_STORE_free(store)
        estfcgi_sk_X509_free(untrusted)
    }

    public enum Outcome: Equatable {
        case trusted
        case untrusted(String)
    }

    /// Trusted verdicts already reached, by the exact certificate (SHA-256 of its DER): from
    /// the time it was verified until the first notAfter of the path that was built. A
    /// gateway or device that sends the same bootstrap certificate again is not verified
    /// again; the verdict lives as long as this verifier, i.e. one store material version
    /// (a change to a CA, a profile's trust or a generation makes a new verifier). Only the
    /// path is cached: revocation and denials are the caller's to read on every request.
    private let verdictLock = NSLock()
    private var verdicts: [Data: (from: Date, until: Date)] = [:]
    /// Bounded: past this many certificates the verdicts are dropped and built again.
    public static let maxCachedVerdicts = 4096

    /// How many trusted verdicts are held (for tests).
    public var cachedVerdicts: Int { verdictLock.withLock { verdicts.count } }

    public func verify(_ leaf: Certificate, at time: Date = Date()) -> Outcome {
        let key = leaf.fingerprint
        if let hit = verdictLock.withLock({ verdicts[key] }), hit.from <= time, time < hit.until { return .trusted }
        let (outcome, pathEnds) = verifyPath(leaf, at: time)
        if outcome == .trusted, let pathEnds, pathEnds > time {
            verdictLock.withLock {
                if verdicts.count >= Self.maxCachedVerdicts { verdicts.removeAll(keepingCapacity: true) }
                verdicts[key] = (time, pathEnds)
            }
        }
        return outcome
    }

    /// RFC 5280 §6 by OpenSSL, and for a trusted path the earliest notAfter on it.
    private func verifyPath(_ leaf: Certificate, at time: Date) -> (Outcome, Date?) {
        guard !anchors.isEmpty else { return (.untrusted("no trust anchors configured"), nil) }
        guard let store, let untrusted else { return (.untrusted("out of memory building the trust store"), nil) }
        guard let ctx = X509_STORE_CTX_new() else { return (.untrusted("X509_STORE_CTX_new failed"), nil) }
        defer { X509_STORE_CTX_free(ctx) }
        guard X509_STORE_CTX_init(ctx, store, leaf.x509, untrusted) == 1 else {
            return (.untrusted(OpenSSLError("X509_STORE_CTX_init").description), nil)
        }
        let param = X509_STORE_CTX_get0_param(ctx)
        X509_VERIFY_PARAM_set_time(param, time_t(time.timeIntervalSince1970))
        X509_VERIFY_PARAM_set_flags(param, UInt(X509_V_FLAG_PARTIAL_CHAIN))
        let ok = X509_verify_cert(ctx) == 1
        let code = X509_STORE_CTX_get_error(ctx)
        guard ok else {
            _ = OpenSSLError.drainQueue()
            return (.untrusted(String(cString: X509_verify_cert_error_string(Int(code)))), nil)
        }
        // The path as built; when it cannot be read the verdict is simply not cached.
        var ends: Date? = nil
        if let chain = X509_STORE_CTX_get0_chain(ctx) {
            for i in 0..<estfcgi_sk_X509_num(chain) {
                guard let c = estfcgi_sk_X509_value(chain, i), let end = try? ASN1Time.date(X509_get0_notAfter(c)) else {
                    ends = nil
                    break
                }
                ends = min(ends ?? end, end)
            }
        }
        _ = OpenSSLError.drainQueue()
        return (.trusted, ends)
    }
}
