import Foundation

/// One event as the outbox keeps it until every subscribed receiver has it: rendered once,
/// in the transaction that records what it reports, as a CloudEvents 1.0 JSON document
/// (structured content mode, `application/cloudevents+json`). The body is stored, so each
/// retry sends the same bytes, the same `id`, and the same HMAC.
public struct NotificationEvent: Sendable {
    /// A `data` member: text, a number, or null.
    public enum Value: Sendable, Equatable {
        case text(String)
        case number(Int64)
        case null

        public static func optional(_ s: String?) -> Value { s.map(Value.text) ?? .null }
    }

    public var type: NotificationEventType
    /// The CloudEvents `subject`: the certificate's serial (hex), or `request/ID`, or the
    /// EST operation of a refusal.
    public var subject: String
    /// The profile label (nil: the default profile); it names the `source`.
    public var profile: String?
    public var data: [String: Value]

    public init(type: NotificationEventType, subject: String, profile: String?, data: [String: Value]) {
        self.type = type
        self.subject = subject
        self.profile = profile
        self.data = data
    }

    /// The CloudEvents `source`: the EST path of the profile (RFC 7030 §3.2.2), a URI-reference.
    public var source: String { "/.well-known/est" + (profile.map { "/" + $0 } ?? "") }

    /// The JSON document (keys sorted, so equal events render equal bytes).
    public func body(id: String, time: Date) -> String {
        var payload: [String: Any] = [:]
        for (key, value) in data {
            switch value {
            case .text(let s): payload[key] = s
            case .number(let n): payload[key] = NSNumber(value: n)
            case .null: payload[key] = NSNull()
            }
        }
        let event: [String: Any] = [
            "specversion": "1.0", "id": id, "source": source, "type": type.cloudEventType,
            "subject": subject, "time": Timestamp.string(time), "datacontenttype": "application/json",
            "data": payload,
        ]
        // Every value is a String, NSNumber or NSNull: serialisation cannot fail.
        let json = (try? JSONSerialization.data(withJSONObject: event, options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data("{}".utf8)
        return String(decoding: json, as: UTF8.self)
    }
}
