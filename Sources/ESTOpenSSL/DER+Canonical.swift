import Foundation

extension DER {
    /// True when `data` is one or more elements in DER (X.690 §10) all through: definite
    /// lengths in the fewest octets, low-tag-number form (tags under 31, all that a
    /// one-octet tag can name), BOOLEAN 00/FF, minimal INTEGERs, empty NULLs, well-formed
    /// OBJECT IDENTIFIERs, and the same inside every constructed element. For bytes a
    /// certificate copies as received (an otherName's value): `DER.elements` takes BER
    /// lengths, and X.690 §10.1 leaves DER no choice of encoding.
    static func isCanonical(_ data: Data, depth: Int = 0) -> Bool {
        guard depth < 32, let elements = DER.elements(data), !elements.isEmpty else { return false }
        for e in elements {
            guard e.tag & 0x1f != 0x1f, e.hasMinimalLength else { return false }
            if e.tag & 0x20 != 0 {
                guard e.content.isEmpty || isCanonical(e.content, depth: depth + 1) else { return false }
                continue
            }
            let c = e.content
            switch e.tag {
            case 0x01:  // X.690 §11.1
                guard c.count == 1, c.first == 0x00 || c.first == 0xff else { return false }
            case 0x02, 0x0a:  // X.690 §8.3.2
                guard let first = c.first else { return false }
                if c.count > 1 {
                    let second = c[c.index(after: c.startIndex)]
                    if (first == 0x00 && second & 0x80 == 0) || (first == 0xff && second & 0x80 != 0) { return false }
                }
            case 0x05:
                guard c.isEmpty else { return false }
            case 0x06:
                guard OID(derContent: c) != nil else { return false }
            case 0x03:  // X.690 §11.2: unused bits 0-7, none in an empty string, and zero
                guard let unused = c.first, unused < 8, c.count > 1 || unused == 0,
                      let last = c.last, c.count == 1 || last & ~(0xff << unused) == 0 else { return false }
            default:
                break
            }
        }
        return true
    }
}
