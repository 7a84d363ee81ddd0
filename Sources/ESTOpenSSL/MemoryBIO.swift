internal import COpenSSL
import Foundation

/// A memory BIO owned for the duration of one call.
final class MemoryBIO {
    let bio: OpaquePointer
    /// BIO_new_mem_buf does not copy: the bytes a read-only BIO serves live here.
    private let storage: UnsafeMutableRawPointer?

    init() throws {
        guard let b = BIO_new(BIO_s_mem()) else { throw OpenSSLError("BIO_new") }
        bio = b
        storage = nil
    }

    /// A read-only BIO over a copy of `data`.
    init(_ data: Data) throws {
        let buffer = UnsafeMutableRawPointer.allocate(byteCount: max(data.count, 1), alignment: 1)
        data.copyBytes(to: buffer.assumingMemoryBound(to: UInt8.self), count: data.count)
        guard let b = BIO_new_mem_buf(buffer, Int32(data.count)) else {
            buffer.deallocate()
            throw OpenSSLError("BIO_new_mem_buf")
        }
        storage = buffer
        bio = b
    }

    deinit {
        BIO_free(bio)
        storage?.deallocate()
    }

    /// Everything written so far.
    var data: Data {
        var ptr: UnsafeMutablePointer<CChar>?
        let n = estfcgi_BIO_get_mem_data(bio, &ptr)
        guard n > 0, let p = ptr else { return Data() }
        return Data(bytes: p, count: Int(n))
    }

    var string: String { String(decoding: data, as: UTF8.self) }
}
