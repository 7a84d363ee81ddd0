import Foundation

extension Data {
    /// Lowercase hex, no separators.
    public var hexString: String {
        let digits = Array("0123456789abcdef".utf8)
        var out = [UInt8]()
        out.reserveCapacity(count * 2)
        for b in self {
            out.append(digits[Int(b >> 4)])
            out.append(digits[Int(b & 0x0f)])
        }
        return String(decoding: out, as: UTF8.self)
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
