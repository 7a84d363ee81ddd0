internal import COpenSSL

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
    @discardableResult
    static func drainQueue() -> String {
        var last = ""
        while true {
            let code = ERR_get_error()
            if code == 0 { break }
            var buf = [CChar](repeating: 0, count: 256)
            ERR_error_string_n(code, &buf, buf.count)
            last = String(decoding: buf.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        }
        return last
    }
}
