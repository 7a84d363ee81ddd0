/// Text a client chose (a path, a subject, a reason quoting either), made safe for one
/// log line, one audit field or one line of CLI output: control characters (C0, DEL, C1,
/// and the Unicode line and paragraph separators) become visible escapes, so a `%0A` in
/// a path cannot start a forged log line or move a terminal's cursor; and it is cut to
/// a bound, so a client cannot grow a log or the store at will.
public enum PrintableText {
    /// The bound on a client-controlled field in a log line or audit record, in UTF-8 bytes.
    public static let fieldLimit = 256

    public static func escaped(_ s: String, limit: Int? = nil) -> String {
        // Most fields are printable ASCII within the bound: they come back as they are.
        if s.utf8.count <= limit ?? Int.max, s.utf8.allSatisfy({ (0x20...0x7e).contains($0) }) { return s }
        var out = ""
        var bytes = 0
        for scalar in s.unicodeScalars {
            let piece: String
            switch scalar.value {
            case 0x00..<0x20, 0x7f..<0xa0, 0x2028, 0x2029:
                piece = scalar.value < 0x100
                    ? "\\x" + (scalar.value < 0x10 ? "0" : "") + String(scalar.value, radix: 16)
                    : "\\u{" + String(scalar.value, radix: 16) + "}"
            default:
                piece = String(scalar)
            }
            let size = piece.utf8.count
            if let limit, bytes + size > limit {
                out += "..."
                break
            }
            out += piece
            bytes += size
        }
        return out
    }
}
