import Foundation

/// How a deliverer POSTs an event: an HTTP client (the command gives libcurl's). The
/// deliverer decides what a status means; the transport only carries the bytes.
public protocol NotificationTransport: Sendable {
    /// POSTs `body` with `headers` to `url` (no redirects followed), trusting the CAs of
    /// `caFile` for https when given; returns the HTTP status, or throws when no answer
    /// came (refused, TLS failure, timeout after `timeoutSeconds` in all).
    func post(url: String, body: Data, headers: [(String, String)], caFile: String?, timeoutSeconds: Int) throws -> Int
}
