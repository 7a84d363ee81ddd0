import COpenSSL
import Foundation

public enum Digest {
    /// SHA-256 of `data`.
    public static func sha256(_ data: Data) -> Data { digest(data, EVP_sha256()) }

    /// SHA-1 of `data` (RFC 5280 §4.2.1.2 key identifiers, not signatures).
    public static func sha1(_ data: Data) -> Data { digest(data, EVP_sha1()) }

    private static func digest(_ data: Data, _ md: OpaquePointer?) -> Data {
        var out = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
        var len: UInt32 = 0
        let ok = data.withUnsafeBytes { buf in EVP_Digest(buf.baseAddress, buf.count, &out, &len, md, nil) }
        precondition(ok == 1, "EVP_Digest cannot fail on valid input")
        return Data(out.prefix(Int(len)))
    }
}

public enum SecureRandom {
    public static func bytes(_ count: Int) throws -> Data {
        var out = [UInt8](repeating: 0, count: count)
        guard RAND_bytes(&out, Int32(count)) == 1 else { throw OpenSSLError("RAND_bytes") }
        return Data(out)
    }
}

extension Data {
    /// Lowercase hex, no separators.
    public var hexString: String { map { String(format: "%02x", $0) }.joined() }

    /// Base64 wrapped at 64 columns with LF line ends (RFC 7030 §4.1.3 clients such
    /// as libest expect wrapped base64; LF only avoids CR mis-parsing in multipart).
    public func base64Wrapped(lineLength: Int = 64) -> String {
        let flat = base64EncodedString()
        var out = ""
        out.reserveCapacity(flat.count + flat.count / lineLength + 1)
        var i = flat.startIndex
        while i < flat.endIndex {
            let j = flat.index(i, offsetBy: lineLength, limitedBy: flat.endIndex) ?? flat.endIndex
            out += flat[i..<j]
            out += "\n"
            i = j
        }
        return out
    }
}
