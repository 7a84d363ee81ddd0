import Foundation

extension Data {
    /// Lowercase hex, no separators.
    public var hexString: String {
        // Written straight into the String's storage: fingerprints, serials and keys are
        // turned to hex several times per request.
        let digits: StaticString = "0123456789abcdef"
        return withUnsafeBytes { raw in
            String(unsafeUninitializedCapacity: raw.count * 2) { out in
                digits.withUTF8Buffer { d in
                    var i = 0
                    for b in raw {
                        out[i] = d[Int(b >> 4)]
                        out[i + 1] = d[Int(b & 0x0f)]
                        i += 2
                    }
                }
                return raw.count * 2
            }
        }
    }

    /// The bytes of a hex string (either case, no separators or prefix); nil when the
    /// length is odd or a character is not a hex digit.
    public init?(hexString: String) {
        let digits = Array(hexString.utf8)
        guard digits.count % 2 == 0 else { return nil }
        func value(_ c: UInt8) -> UInt8? {
            switch c {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): return c - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): return c - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): return c - UInt8(ascii: "A") + 10
            default: return nil
            }
        }
        var bytes = [UInt8]()
        bytes.reserveCapacity(digits.count / 2)
        var i = 0
        while i < digits.count {
            guard let high = value(digits[i]), let low = value(digits[i + 1]) else { return nil }
            bytes.append(high << 4 | low)
            i += 2
        }
        self.init(bytes)
    }

    /// Base64 wrapped at 64 columns with LF line ends (RFC 7030 §4.1.3 clients such
    /// as libest expect wrapped base64; LF only avoids CR mis-parsing in multipart).
    public func base64Wrapped(lineLength: Int = 64) -> String {
        let flat = Array(base64EncodedString().utf8)
        var out = [UInt8]()
        out.reserveCapacity(flat.count + flat.count / lineLength + 1)
        var i = 0
        while i < flat.count {
            let j = Swift.min(i + lineLength, flat.count)
            out += flat[i..<j]
            out.append(0x0a)
            i = j
        }
        return String(decoding: out, as: UTF8.self)
    }
}
