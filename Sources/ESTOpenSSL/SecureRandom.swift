internal import COpenSSL
import Foundation

/// Bytes from OpenSSL's CSPRNG.
public enum SecureRandom {
    public static func bytes(_ count: Int) throws -> Data {
        var out = [UInt8](repeating: 0, count: count)
        guard RAND_bytes(&out, Int32(count)) == 1 else { throw OpenSSLError("RAND_bytes") }
        return Data(out)
    }
}
