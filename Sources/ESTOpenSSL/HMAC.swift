internal import COpenSSL
import Foundation

/// Message authentication codes (RFC 2104) of whole buffers.
public enum HMAC {
    /// HMAC-SHA256 of `data` under `key` (32 bytes). Used to sign event notifications so
    /// that a receiver holding the same secret knows the body is ours and unchanged.
    public static func sha256(key: Data, data: Data) -> Data {
        var out = [UInt8](repeating: 0, count: 32)
        var len = 0
        // Buffers of at least one byte: OpenSSL wants non-NULL pointers even for empty input.
        let k = [UInt8](key) + [0], d = [UInt8](data) + [0]
        let ok = EVP_Q_mac(nil, "HMAC", nil, "SHA2-256", nil, k, key.count, d, data.count, &out, out.count, &len)
        precondition(ok != nil && len == 32, "HMAC-SHA256 cannot fail on valid input")
        return Data(out)
    }
}
