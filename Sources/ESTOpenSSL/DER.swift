import Foundation

/// Minimal DER (X.690) building and reading for the few structures OpenSSL has no
/// type for: CsrAttrs (RFC 7030 §4.5.2) and AsymmetricKeyPackage (RFC 5958 §2).
public enum DER {
    public static func tlv(_ tag: UInt8, _ content: Data) -> Data {
        var out = Data([tag])
        let n = content.count
        if n < 0x80 {
            out.append(UInt8(n))
        } else {
            var len = [UInt8]()
            var v = n
            while v > 0 { len.insert(UInt8(v & 0xff), at: 0); v >>= 8 }
            out.append(0x80 | UInt8(len.count))
            out.append(contentsOf: len)
        }
        return out + content
    }

    public static func sequence(_ items: [Data]) -> Data { tlv(0x30, items.reduce(Data(), +)) }

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

    public static func set(_ items: [Data]) -> Data { tlv(0x31, items.reduce(Data(), +)) }

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
    }

    /// Splits `data` into consecutive elements; nil on malformed input. Definite lengths only.
    public static func elements(_ data: Data) -> [Element]? {
        let b = [UInt8](data)
        var i = 0
        var out: [Element] = []
        while i < b.count {
            guard i + 2 <= b.count else { return nil }
            let tag = b[i]
            var len = Int(b[i + 1])
            var header = 2
            if len & 0x80 != 0 {
                let n = len & 0x7f
                guard n >= 1, n <= 4, i + 2 + n <= b.count else { return nil }
                len = 0
                for k in 0..<n { len = (len << 8) | Int(b[i + 2 + k]) }
                header += n
            }
            guard i + header + len <= b.count else { return nil }
            out.append(Element(tag: tag, content: Data(b[(i + header)..<(i + header + len)]),
                               encoded: Data(b[i..<(i + header + len)])))
            i += header + len
        }
        return out
    }

    /// The OID of an encoded OBJECT IDENTIFIER element, nil when it is not one.
    public static func oid(_ element: Element) -> OID? {
        element.tag == 0x06 ? OID(derContent: element.content) : nil
    }
}
