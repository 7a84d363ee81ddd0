internal import COpenSSL
import Foundation

/// Message digests of whole buffers.
public enum Digest {
    /// Fetched once: OpenSSL 3 otherwise looks the algorithm up, under a lock shared by
    /// every thread, on each call made with EVP_sha256().
    /// Signing and verifying contexts take these too (KeyAlgorithm.signingDigest, the CSR
    /// fast path): EVP_DigestSignInit given EVP_sha256() fetches it anew each time.
    nonisolated(unsafe) static let fetchedSHA256 = EVP_MD_fetch(nil, "SHA2-256", nil) ?? EVP_sha256()
    nonisolated(unsafe) static let fetchedSHA1 = EVP_MD_fetch(nil, "SHA1", nil) ?? EVP_sha1()
    nonisolated(unsafe) static let fetchedSHA224 = EVP_MD_fetch(nil, "SHA2-224", nil) ?? EVP_sha224()
    nonisolated(unsafe) static let fetchedSHA384 = EVP_MD_fetch(nil, "SHA2-384", nil) ?? EVP_sha384()
    nonisolated(unsafe) static let fetchedSHA512 = EVP_MD_fetch(nil, "SHA2-512", nil) ?? EVP_sha512()

    /// SHA-256 of `data`.
    public static func sha256(_ data: Data) -> Data { digest(data, fetchedSHA256) }

    /// SHA-1 of `data` (RFC 5280 §4.2.1.2 key identifiers, not signatures).
    public static func sha1(_ data: Data) -> Data { digest(data, fetchedSHA1) }

    /// SHA-384 and SHA-512 of `data` (e.g. OCSP CertIDs, RFC 6960 §4.1.1).
    public static func sha384(_ data: Data) -> Data { digest(data, fetchedSHA384) }
    public static func sha512(_ data: Data) -> Data { digest(data, fetchedSHA512) }

    private static func digest(_ data: Data, _ md: OpaquePointer?) -> Data {
        var out = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
        var len: UInt32 = 0
        let ok = data.withUnsafeBytes { buf in EVP_Digest(buf.baseAddress, buf.count, &out, &len, md, nil) }
        precondition(ok == 1, "EVP_Digest cannot fail on valid input")
        return Data(out.prefix(Int(len)))
    }
}
