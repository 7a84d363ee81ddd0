import Foundation

/// An OBJECT IDENTIFIER (X.680 §32) in dotted-decimal form. Only ASCII digits are arcs
/// (a Swift `isNumber` check would also take `٣`, which no encoder can write), the
/// first arc is 0, 1 or 2, and below 0 and 1 the second arc is under 40 (X.690 §8.19.4).
public struct OID: Hashable, Sendable, Comparable, CustomStringConvertible {
    public let dotted: String
    /// The DER encoding, tag and length included (X.690 §8.19), made once at init: the
    /// signer writes OIDs (key purposes) into every certificate.
    public let der: Data
    /// False only for an OID read by `init?(derContentAnyArcs:)` with an arc past 64 bits,
    /// which estfcgi reads to name it in a refusal and never writes. Computed from the DER
    /// (a stored flag would change the type's layout for every module that holds an OID).
    public var arcsFit64Bits: Bool {
        guard der.count >= 2 else { return true }
        let lengthOctets = der[der.startIndex + 1] < 0x80 ? 0 : Int(der[der.startIndex + 1] & 0x7f)
        var value: UInt64 = 0
        for b in der.dropFirst(2 + lengthOctets) {
            guard value <= (UInt64.max >> 7) else { return false }  // as init?(derContent:)
            value = (value << 7) | UInt64(b & 0x7f)
            if b & 0x80 == 0 { value = 0 }
        }
        return true
    }

    /// Nil unless `text` is a well-formed dotted OID whose arcs fit in 64 bits.
    public init?(_ text: String) {
        let arcs = text.utf8.split(separator: UInt8(ascii: "."), omittingEmptySubsequences: false)
        guard arcs.count >= 2, text.utf8.count <= 256 else { return nil }
        var values: [UInt64] = []
        for arc in arcs {
            guard !arc.isEmpty, arc.count <= 20, arc.allSatisfy({ (0x30...0x39).contains($0) }) else { return nil }
            guard arc.count == 1 || arc.first != 0x30 else { return nil }  // no leading zeros
            guard let v = UInt64(String(decoding: arc, as: UTF8.self)) else { return nil }
            values.append(v)
        }
        guard values[0] <= 2, values[0] == 2 || values[1] < 40 else { return nil }
        guard values[0] < 2 || values[1] <= UInt64.max - 80 else { return nil }
        dotted = text
        der = Self.encode(values)
    }

    /// For the named constants below, which are known to be well formed.
    init(named literal: StaticString) {
        guard let oid = OID(literal.description) else { preconditionFailure("malformed named OID \(literal)") }
        self = oid
    }

    public var description: String { dotted }

    public static func < (a: OID, b: OID) -> Bool { a.dotted < b.dotted }

    private static func encode(_ arcs: [UInt64]) -> Data {
        var content = [UInt8]()
        func base128(_ value: UInt64) {
            var v = value
            var chunk = [UInt8(v & 0x7f)]
            v >>= 7
            while v > 0 {
                chunk.insert(UInt8(v & 0x7f) | 0x80, at: 0)
                v >>= 7
            }
            content += chunk
        }
        base128(arcs[0] * 40 + arcs[1])
        for arc in arcs.dropFirst(2) { base128(arc) }
        return DER.tlv(0x06, Data(content))
    }

    /// Decodes the content octets of an OBJECT IDENTIFIER (without tag and length): nil
    /// unless every arc is minimal (X.690 §8.19.2), fits in 64 bits and the dotted form
    /// is at most 256 characters, as `init?(_:)` requires of text. The dotted form is
    /// written from the arcs and the content kept as the DER: a request's keys and names
    /// carry several OIDs, and going through the text cost ten times as much.
    public init?(derContent: Data) {
        var text: [UInt8] = []
        text.reserveCapacity(derContent.count * 3)
        var value: UInt64 = 0
        var started = false
        var first = true
        func append(_ arc: UInt64) {
            if !text.isEmpty { text.append(UInt8(ascii: ".")) }
            let start = text.count
            var v = arc
            repeat {
                text.append(UInt8(ascii: "0") + UInt8(v % 10))
                v /= 10
            } while v > 0
            text[start...].reverse()
        }
        for b in derContent {
            if !started && b == 0x80 { return nil }  // X.690 §8.19.2: minimal encoding
            guard value <= (UInt64.max >> 7) else { return nil }
            value = (value << 7) | UInt64(b & 0x7f)
            started = true
            if b & 0x80 == 0 {
                if first {
                    // X.690 §8.19.4: the first subidentifier is 40 x + y, x in 0...2
                    let x: UInt64 = value < 40 ? 0 : value < 80 ? 1 : 2
                    append(x)
                    append(value - 40 * x)
                    first = false
                } else {
                    append(value)
                }
                value = 0
                started = false
            }
        }
        guard !first, !started, text.count <= 256 else { return nil }
        dotted = String(decoding: text, as: UTF8.self)
        der = DER.tlv(0x06, derContent)
    }
}
