import ESTCore
import Foundation

/// A receiver to add, checked here: an absolute http or https URL without spaces or control
/// characters, of bounded length.
public struct NewNotificationReceiver: Sendable {
    public static let maxURLLength = 2048

    public var url: String
    public var events: [NotificationEventType]
    public var caFile: String?
    public var secretFile: String?

    public init(url: String, events: [NotificationEventType], caFile: String?, secretFile: String?) throws {
        guard !url.isEmpty, url.utf8.count <= Self.maxURLLength else {
            throw CAError.badRequest("--url must be 1-\(Self.maxURLLength) bytes")
        }
        guard url.utf8.allSatisfy({ (0x21...0x7e).contains($0) }) else {
            throw CAError.badRequest("--url holds spaces, control or non-ASCII characters (percent-encode them)")
        }
        let lower = url.lowercased()
        guard lower.hasPrefix("http://") || lower.hasPrefix("https://"),
              let parsed = URLComponents(string: url), let host = parsed.host, !host.isEmpty else {
            throw CAError.badRequest("--url must be an absolute http:// or https:// URL")
        }
        // RFC 3986 §3.2.3: an empty port means the scheme's; TCP has no port 0 to connect to
        // (RFC 6335 §6 reserves it) and none past 65535.
        if let port = parsed.port, !(1...65535).contains(port) {
            throw CAError.badRequest("--url: port \(port) is not a TCP port (1-65535)")
        }
        guard parsed.user == nil, parsed.password == nil else {
            throw CAError.badRequest("--url must not hold credentials (use --secret-file to sign events)")
        }
        if caFile != nil, !lower.hasPrefix("https://") { throw CAError.badRequest("--ca applies to https:// URLs only") }
        self.url = url
        self.events = events
        self.caFile = caFile
        self.secretFile = secretFile
    }
}
