internal import COpenSSL

/// An OpenSSL failure, carrying what OpenSSL's error queue said: every entry, oldest (the
/// root cause, deepest in OpenSSL) first, since the last one alone is often only a wrapper
/// ("nested asn1 error") of the one that explains.
public struct OpenSSLError: Error, CustomStringConvertible, Sendable {
    public let operation: String
    /// The queue's entries (OpenSSL keeps at most 15 per thread), each one line of at most
    /// `maxEntryBytes`; kept also when the caller gives its own `detail`.
    public let entries: [String]
    /// Entries beyond `maxEntries` that were drained but not kept.
    public let dropped: Int
    /// The detail given, else the first `shownEntries` entries as one line ("" when the
    /// queue was empty).
    public let detail: String

    /// Bounds, so that a pathological queue never makes a huge error, answer or log line.
    static let maxEntries = 32
    static let shownEntries = 6
    static let maxEntryBytes = 256

    public init(_ operation: String, detail: String? = nil) {
        self.operation = operation
        (entries, dropped) = OpenSSLError.takeQueue()
        let hidden = max(0, entries.count - Self.shownEntries) + dropped
        self.detail = detail ?? (entries.prefix(Self.shownEntries).joined(separator: "; ") + (hidden > 0 ? "; (\(hidden) more)" : ""))
    }

    public var description: String {
        detail.isEmpty ? operation : "\(operation): \(detail)"
    }

    /// Empties the thread's error queue, so one failure never leaks into the next call.
    @discardableResult
    static func drainQueue() -> [String] {
        takeQueue().entries
    }

    /// Every entry of the thread's error queue as one line of text ("error:CODE:LIBRARY:
    /// FUNCTION:REASON", plus its data when OpenSSL recorded some), the queue left empty.
    static func takeQueue() -> (entries: [String], dropped: Int) {
        var entries: [String] = []
        var dropped = 0
        while true {
            var data: UnsafePointer<CChar>?
            var flags: Int32 = 0
            let code = ERR_get_error_all(nil, nil, nil, &data, &flags)
            if code == 0 { break }
            guard entries.count < maxEntries else { dropped += 1; continue }
            var buf = [CChar](repeating: 0, count: maxEntryBytes)
            ERR_error_string_n(code, &buf, buf.count)
            var text = String(decoding: buf.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            if flags & ERR_TXT_STRING != 0, let data, data.pointee != 0 {
                text += " (" + String(cString: data) + ")"
            }
            entries.append(oneLine(text))
        }
        return (entries, dropped)
    }

    /// Control characters (a data string may hold input) become '?'; at most maxEntryBytes.
    static func oneLine(_ text: String) -> String {
        var out = ""
        for scalar in text.unicodeScalars {
            let s = scalar.value < 0x20 || scalar.value == 0x7f ? "?" : String(scalar)
            guard out.utf8.count + s.utf8.count <= maxEntryBytes else { return out + "…" }
            out += s
        }
        return out
    }
}
