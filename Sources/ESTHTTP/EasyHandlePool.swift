internal import CCurl
import Foundation

/// libcurl easy handles kept between calls. A handle keeps its connections (and their TLS
/// sessions) open after a transfer: taken again for the next call to the same service (the
/// authorization hook on every enrollment, a receiver's next events), it reuses them instead
/// of paying a TCP and TLS handshake each time. libcurl reuses a connection only for the
/// same host, port and TLS settings (CA file, client certificate), so one pool serves every
/// URL. Each handle is used by one thread at a time: taken, set up afresh, performed, reset
/// (`curl_easy_reset` drops every option, keeps the connections) and given back.
final class EasyHandlePool: @unchecked Sendable {
    static let shared = EasyHandlePool()

    /// Idle handles kept; beyond it a handle given back is closed. About the number of
    /// threads that call at once (serve's hook slots, the delivery thread).
    static let maxIdle = 16

    private let lock = NSLock()
    private var idle: [UnsafeMutableRawPointer] = []

    /// A handle with no options set (a kept one, or a new one); nil when libcurl has none.
    func take() -> UnsafeMutableRawPointer? {
        lock.withLock { idle.popLast() } ?? curl_easy_init()
    }

    /// Gives `handle` back after its transfer, without its options (pointers into the
    /// caller's buffers go with them), or closes it when enough are kept.
    func give(_ handle: UnsafeMutableRawPointer) {
        curl_easy_reset(handle)
        let kept = lock.withLock {
            guard idle.count < Self.maxIdle else { return false }
            idle.append(handle)
            return true
        }
        if !kept { curl_easy_cleanup(handle) }
    }

    /// Handles kept now (tests).
    var idleCount: Int { lock.withLock { idle.count } }
}
