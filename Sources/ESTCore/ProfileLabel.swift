/// RFC 7030 §3.2.2 labels (the "additional path segment" naming a CA profile, Lamassu's
/// APS). The RFC leaves their syntax open; ours: 1–64 of `[A-Za-z0-9._-]`, not an
/// operation name (a path would be ambiguous), not `.` or `..`.
public enum ProfileLabel {
    public static func validate(_ label: String) throws(ESTError) {
        let ok = (1...64).contains(label.utf8.count) && label.utf8.allSatisfy { b in
            (0x30...0x39).contains(b) || (0x41...0x5a).contains(b) || (0x61...0x7a).contains(b)
                || b == UInt8(ascii: ".") || b == UInt8(ascii: "_") || b == UInt8(ascii: "-")
        }
        guard ok else { throw .badRequest("profile label must be 1-64 characters of [A-Za-z0-9._-]") }
        guard ESTOperation(rawValue: label) == nil, label != ".", label != ".." else {
            throw .badRequest("profile label '\(label)' is reserved")
        }
    }
}
