import Foundation

/// Minimal DER (X.690) building and reading for what estfcgi encodes or splits itself:
/// CsrAttrs (RFC 7030 §4.5.2), AsymmetricKeyPackage (RFC 5958 §2), certs-only PKCS #7,
/// a CSR on the fast path, and the parts of a TBSCertificate (DERWriter writes the whole).
public enum DER {
    // Each encoder below allocates its result once, at its final size: building DER by
    // concatenation (`Data([tag]) + ... + content`) copied every element at every level.
    public static func tlv(_ tag: UInt8, _ content: Data) -> Data {
        var out = Data(capacity: content.count + 6)
        out.append(tag)
        appendLength(content.count, to: &out)
        out.append(content)
        return out
    }

    /// X.690 §8.1.3: the short form under 128, else the long form in the fewest octets.
    static func appendLength(_ n: Int, to out: inout Data) {
        guard n >= 0x80 else { out.append(UInt8(n)); return }
        var octets = 0
        var v = n
        while v > 0 { octets += 1; v >>= 8 }
        out.append(0x80 | UInt8(octets))
        for i in stride(from: octets - 1, through: 0, by: -1) { out.append(UInt8(truncatingIfNeeded: n >> (8 * i))) }
    }

    /// A constructed element whose content is `items` one after another.
    static func constructed(_ tag: UInt8, _ items: [Data]) -> Data {
        let n = items.reduce(0) { $0 + $1.count }
        var out = Data(capacity: n + 6)
        out.append(tag)
        appendLength(n, to: &out)
        for item in items { out.append(item) }
        return out
    }

    public static func sequence(_ items: [Data]) -> Data { constructed(0x30, items) }

    /// X.690 §11.6: the order of the components of a DER SET OF. Encodings compare as
    /// octet strings, the shorter one padded at its end with 0-octets.
    public static func setOrderPrecedes(_ a: Data, _ b: Data) -> Bool {
        var i = a.startIndex, j = b.startIndex
        while i < a.endIndex || j < b.endIndex {
            let x: UInt8 = i < a.endIndex ? a[i] : 0
            let y: UInt8 = j < b.endIndex ? b[j] : 0
            if x != y { return x < y }
            if i < a.endIndex { i = a.index(after: i) }
            if j < b.endIndex { j = b.index(after: j) }
        }
        return false
    }

    /// `items` in the DER SET OF order of their encodings (X.690 §11.6).
    public static func sortedForSet<T>(_ items: [T], by encoding: (T) -> Data) -> [T] {
        items.enumerated()
            .sorted { l, r in
                let a = encoding(l.element), b = encoding(r.element)
                if setOrderPrecedes(a, b) { return true }
                if setOrderPrecedes(b, a) { return false }
                return l.offset < r.offset
            }
            .map(\.element)
    }

    public static func set(_ items: [Data]) -> Data { constructed(0x31, items) }

    /// A non-negative INTEGER.
    public static func integer(_ value: Int) -> Data {
        precondition(value >= 0, "DER.integer encodes non-negative values")
        var bytes = [UInt8]()
        var v = value
        repeat { bytes.insert(UInt8(v & 0xff), at: 0); v >>= 8 } while v > 0
        if bytes[0] & 0x80 != 0 { bytes.insert(0, at: 0) }
        return tlv(0x02, Data(bytes))
    }

    /// One element: its tag, its content, and the full encoding.
    public struct Element: Sendable {
        public let tag: UInt8
        public let content: Data
        public let encoded: Data
        /// Its length in the form DER requires (X.690 §10.1: short under 128, else long in
        /// the fewest octets), so strict readers need not re-encode to compare.
        public let hasMinimalLength: Bool
    }

    /// Splits `data` into consecutive elements; nil on malformed input. Definite lengths only.
    public static func elements(_ data: Data) -> [Element]? {
        data.withUnsafeBytes { raw -> [Element]? in
            let b = raw.bindMemory(to: UInt8.self)
            guard let base = b.baseAddress else { return [] }
            var i = 0
            var out: [Element] = []
            while i < b.count {
                guard i + 2 <= b.count else { return nil }
                let tag = b[i]
                var len = Int(b[i + 1])
                var header = 2
                var minimal = true
                if len & 0x80 != 0 {
                    let n = len & 0x7f
                    guard n >= 1, n <= 4, i + 2 + n <= b.count else { return nil }
                    len = 0
                    for k in 0..<n { len = (len << 8) | Int(b[i + 2 + k]) }
                    header += n
                    minimal = len >= 0x80 && b[i + 2] != 0
                }
                guard i + header + len <= b.count else { return nil }
                out.append(Element(tag: tag, content: Data(bytes: base + i + header, count: len),
                                   encoded: Data(bytes: base + i, count: header + len), hasMinimalLength: minimal))
                i += header + len
            }
            return out
        }
    }

    /// The OID of an encoded OBJECT IDENTIFIER element, nil when it is not one.
    public static func oid(_ element: Element) -> OID? {
        element.tag == 0x06 ? OID(derContent: element.content) : nil
    }
}
