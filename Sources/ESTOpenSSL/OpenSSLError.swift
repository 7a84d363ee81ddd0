import COpenSSL
import Foundation

/// An OpenSSL failure, carrying what OpenSSL's error queue said.
public struct OpenSSLError: Error, CustomStringConvertible, Sendable {
    public let operation: String
    public let detail: String

    public init(_ operation: String, detail: String? = nil) {
        self.operation = operation
        self.detail = detail ?? OpenSSLError.drainQueue()
    }

    public var description: String {
        detail.isEmpty ? operation : "\(operation): \(detail)"
    }

    /// Empties the thread's error queue, so one failure never leaks into the next call.
    static func drainQueue() -> String {
        var messages: [String] = []
        while true {
            let code = ERR_get_error()
            if code == 0 { break }
            var buf = [CChar](repeating: 0, count: 256)
            ERR_error_string_n(code, &buf, buf.count)
            messages.append(String(decoding: buf.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))
        }
        return messages.last ?? ""
    }
}

/// A memory BIO owned for the duration of one call.
final class MemoryBIO {
    let bio: OpaquePointer

    init() throws {
        guard let b = BIO_new(BIO_s_mem()) else { throw OpenSSLError("BIO_new") }
        bio = b
    }

    /// A read-only BIO over a copy of `data`.
    init(_ data: Data) throws {
        // BIO_new_mem_buf does not copy: keep the bytes alive in `storage`.
        let buffer = UnsafeMutableRawPointer.allocate(byteCount: max(data.count, 1), alignment: 1)
        data.copyBytes(to: buffer.assumingMemoryBound(to: UInt8.self), count: data.count)
        guard let b = BIO_new_mem_buf(buffer, Int32(data.count)) else {
            buffer.deallocate()
            throw OpenSSLError("BIO_new_mem_buf")
        }
        storage = buffer
        bio = b
    }

    private var storage: UnsafeMutableRawPointer?

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

/// Calls an OpenSSL `i2d_*` function and returns the DER bytes.
func derEncode(_ operation: String, _ encode: (UnsafeMutablePointer<UnsafeMutablePointer<UInt8>?>?) -> Int32) throws -> Data {
    let length = encode(nil)
    guard length > 0 else { throw OpenSSLError(operation) }
    var out = [UInt8](repeating: 0, count: Int(length))
    let written = out.withUnsafeMutableBufferPointer { buf -> Int32 in
        var p: UnsafeMutablePointer<UInt8>? = buf.baseAddress
        return encode(&p)
    }
    guard written == length else { throw OpenSSLError(operation) }
    return Data(out)
}

/// Calls an OpenSSL `d2i_*` function over `data`.
func derDecode<T>(_ data: Data, _ decode: (UnsafeMutablePointer<UnsafePointer<UInt8>?>, Int) -> T?) -> T? {
    let bytes = [UInt8](data)
    return bytes.withUnsafeBufferPointer { buf -> T? in
        guard let base = buf.baseAddress else { return nil }
        var p: UnsafePointer<UInt8>? = base
        guard let value = decode(&p, bytes.count) else { return nil }
        // Trailing garbage after one DER object is refused.
        guard p == base + bytes.count else { return nil }
        return value
    }
}
