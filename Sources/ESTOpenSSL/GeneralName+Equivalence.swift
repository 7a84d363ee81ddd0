import Foundation

extension GeneralName {
    /// Equal as names, not only as bytes (RFC 5280 §7): a dNSName case-insensitively
    /// (§4.2.1.6, §7.2), an rfc822Name with its domain part case-insensitive (§4.2.1.6,
    /// §7.5), a directoryName as §7.1 compares Names; every other kind exactly.
    public func isEquivalent(to other: GeneralName) -> Bool {
        switch (self, other) {
        case (.dnsName(let a), .dnsName(let b)):
            return Self.asciiLowercased(a) == Self.asciiLowercased(b)
        case (.rfc822Name(let a), .rfc822Name(let b)):
            guard let at = a.lastIndex(of: "@"), let bt = b.lastIndex(of: "@") else { return a == b }
            return a[..<at] == b[..<bt] && Self.asciiLowercased(String(a[at...])) == Self.asciiLowercased(String(b[bt...]))
        case (.directoryName(let a), .directoryName(let b)):
            return a.isEquivalent(to: b)
        default:
            return self == other
        }
    }

    /// Whether two subjectAltName extension values (GeneralNames DER, nil when absent) name
    /// the same identities in the same order, each compared by `isEquivalent(to:)`. Values
    /// that do not parse strictly are equivalent only when their bytes are equal.
    public static func equivalentSubjectAltNames(_ a: Data?, _ b: Data?) -> Bool {
        if a == b { return true }
        guard let a, let b, let x = try? parseAll(a).names, let y = try? parseAll(b).names, x.count == y.count else {
            return false
        }
        return zip(x, y).allSatisfy { $0.isEquivalent(to: $1) }
    }

    /// IA5String text is ASCII; only A-Z fold (RFC 4343 §3, as DNS compares).
    static func asciiLowercased(_ s: String) -> String {
        String(decoding: s.utf8.map { (0x41...0x5a).contains($0) ? $0 | 0x20 : $0 }, as: UTF8.self)
    }
}
