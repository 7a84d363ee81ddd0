internal import COpenSSL
import Foundation

/// Message digests of whole buffers.
public enum Digest {
    /// Fetched once: OpenSSL 3 otherwise looks the algorithm up, under a lock shared by
    /// every thread, on each call made with EVP_sha256().
    nonisolated(unsafe) private static let fetchedSHA256 = EVP_MD_fetch(nil, "SHA2-256", nil) ?? EVP_sha256()
    nonisolated(unsafe) private static let fetchedSHA1 = EVP_MD_fetch(nil, "SHA1", nil) ?? EVP_sha1()

    /// SHA-256 of `data`.
    public static func sha256(_ data: Data) -> Data { digest(data, fetchedSHA256) }

    /// SHA-1 of `data` (RFC 5280 §4.2.1.2 key identifiers, not signatures).
    public static func sha1(_ data: Data) -> Data { digest(data, fetchedSHA1) }

    private static func digest(_ data: Data, _ md: OpaquePointer?) -> Data {
        var out = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
        var len: UInt32 = 0
        let ok = data.withUnsafeBytes { buf in EVP_Digest(buf.baseAddress, buf.count, &out, &len, md, nil) }
        precondition(ok == 1, "EVP_Digest cannot fail on valid input")
        return Data(out.prefix(Int(len)))
    }
}
