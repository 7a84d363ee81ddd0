import Foundation

/// Calls to OpenSSL's `i2d_*` / `d2i_*` function pairs, with the buffer handling in one place.
enum DERBridge {
    /// Calls an `i2d_*` function and returns the DER bytes.
    static func encode(_ operation: String,
                       _ encode: (UnsafeMutablePointer<UnsafeMutablePointer<UInt8>?>?) -> Int32) throws -> Data {
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

    /// Calls a `d2i_*` function over `data`; nil unless exactly one object fills it
    /// (trailing bytes after the DER object are refused, and the object read is released
    /// with `free`: a client sending them must not leak memory).
    static func decode<T>(_ data: Data, free: (T) -> Void,
                          _ decode: (UnsafeMutablePointer<UnsafePointer<UInt8>?>, Int) -> T?) -> T? {
        let bytes = [UInt8](data)
        let value = bytes.withUnsafeBufferPointer { buf -> T? in
            guard let base = buf.baseAddress else { return nil }
            var p: UnsafePointer<UInt8>? = base
            guard let value = decode(&p, bytes.count) else { return nil }
            guard p == base + bytes.count else {
                free(value)
                return nil
            }
            return value
        }
        if value == nil { OpenSSLError.drainQueue() }
        return value
    }

    /// `decode`, throwing an OpenSSLError named `operation` that keeps OpenSSL's whole
    /// error queue (why the bytes did not parse) when nothing or more than one object is read.
    static func decoded<T>(_ operation: String, _ data: Data, free: (T) -> Void,
                           _ decode: (UnsafeMutablePointer<UnsafePointer<UInt8>?>, Int) -> T?) throws -> T {
        let bytes = [UInt8](data)
        let result = bytes.withUnsafeBufferPointer { buf -> Result<T, OpenSSLError> in
            guard let base = buf.baseAddress else { return .failure(OpenSSLError(operation, detail: "no data")) }
            var p: UnsafePointer<UInt8>? = base
            guard let value = decode(&p, bytes.count) else { return .failure(OpenSSLError(operation)) }
            guard p == base + bytes.count else {
                free(value)
                return .failure(OpenSSLError(operation, detail: "data after the DER object"))
            }
            return .success(value)
        }
        return try result.get()
    }
}
