/// A name that identifies someone (a device, an HTTP user, a bound CN or serialNumber, a
/// CA), compared as its exact UTF-8 bytes. Swift's `String ==`, `Set<String>` and
/// `[String: _]` use Unicode canonical equivalence ("café" in NFC equals "café" in NFD),
/// while the stores, htpasswd files and relying parties compare bytes: two spellings of
/// one name must never pass for each other. The rule is therefore: every name is refused
/// at its entrance unless it is in NFC (`isNFC`), and every comparison is of bytes.
public struct ByteName: Hashable, Sendable, CustomStringConvertible {
    public let string: String

    public init(_ string: String) { self.string = string }

    public var description: String { string }

    public static func == (a: ByteName, b: ByteName) -> Bool { same(a.string, b.string) }

    public func hash(into h: inout Hasher) {
        h.combine(string.utf8.count)
        for b in string.utf8 { h.combine(b) }
    }

    /// Byte equality of two names (never canonical equivalence).
    public static func same(_ a: String, _ b: String) -> Bool { a.utf8.elementsEqual(b.utf8) }

    /// Whether `name` is in Unicode Normalization Form C (UAX #15), the one spelling a name
    /// may have here. ASCII is always NFC. U+FFFD is refused too: it is what invalid UTF-8
    /// became when the bytes were decoded, so two different byte names would read as one.
    public static func isNFC(_ name: String) -> Bool {
        if name.utf8.allSatisfy({ $0 < 0x80 }) { return true }
        if name.unicodeScalars.contains("\u{FFFD}") { return false }
        // The standard library's own normaliser, the one `String ==` compares by (so two NFC
        // names are canonically equivalent only when their bytes are equal). Foundation's
        // precomposedStringWithCanonicalMapping on Linux leaves Hangul LV+T uncomposed.
        return name._nfcCodeUnits.elementsEqual(name.utf8)
    }

    /// The one-line reason a non-NFC name is refused, naming what was refused.
    public static func notNFC(_ what: String) -> String {
        "\(what) is not UTF-8 in Unicode NFC (names are compared byte for byte: send the precomposed form)"
    }
}
