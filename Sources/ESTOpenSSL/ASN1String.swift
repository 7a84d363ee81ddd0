import Foundation

/// The character rules of the string types a certificate name may use (X.680 §41,
/// RFC 5280 §4.1.2.4 and §4.2.1.6). Control characters (C0, DEL, C1) and NUL are refused
/// in every type: no legitimate name holds them, and they forge log lines and
/// confuse comparisons.
enum ASN1String {
    static let utf8String: UInt8 = 0x0c
    static let printableString: UInt8 = 0x13
    static let ia5String: UInt8 = 0x16

    /// X.680 §41.4 PrintableString: letters, digits, space and '()+,-./:=?
    static func isPrintable(_ b: UInt8) -> Bool {
        switch b {
        case 0x41...0x5a, 0x61...0x7a, 0x30...0x39: return true
        default: return " '()+,-./:=?".utf8.contains(b)
        }
    }

    /// The text of a string value, or why it is refused. `tag` is the value's universal tag.
    static func text(tag: UInt8, _ content: Data) throws(NameError) -> String {
        guard !content.isEmpty else { throw NameError("empty value") }
        switch tag {
        case printableString:
            guard content.allSatisfy(isPrintable) else { throw NameError("a character PrintableString forbids") }
        case ia5String:
            guard content.allSatisfy({ (0x20...0x7e).contains($0) }) else {
                throw NameError("a control or non-ASCII character in an IA5String")
            }
        case utf8String:
            guard let s = String(validating: content, as: UTF8.self) else { throw NameError("invalid UTF-8") }
            // NUL is among them: it would end the text where C reads it.
            guard !s.unicodeScalars.contains(where: { $0.value < 0x20 || (0x7f...0x9f).contains($0.value) }) else {
                throw NameError(s.utf8.contains(0) ? "a NUL" : "a control character")
            }
            return s
        default:
            throw NameError(String(format: "string type 0x%02x (use UTF8String, PrintableString or IA5String)", tag))
        }
        return String(decoding: content, as: UTF8.self)
    }
}
