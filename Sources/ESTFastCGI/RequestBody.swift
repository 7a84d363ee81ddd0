import Foundation

/// Reading a request body from the web server.
enum RequestBody {
    /// Reads at most `cap` + 1 bytes, so an oversized body is detected without holding it.
    /// With no (or an unreadable) CONTENT_LENGTH, e.g. a chunked upload through Apache's
    /// mod_proxy_fcgi, reads to EOF. `read(n)` returns up to `n` bytes, empty at EOF.
    /// Returns the bytes read and whether the body was over `cap`.
    static func read(declaredLength: String?, cap: Int, _ read: (Int) -> [UInt8]) -> (body: Data, truncated: Bool) {
        let declared = declaredLength.flatMap { Int($0.trimmingCharacters(in: .whitespaces)) }.flatMap { $0 >= 0 ? $0 : nil }
        if let declared, declared > cap { return (Data(), true) }
        let want = min(declared ?? (cap + 1), cap + 1)
        var body = [UInt8]()
        body.reserveCapacity(want)
        while body.count < want {
            let chunk = read(want - body.count)
            if chunk.isEmpty { break }
            body += chunk.prefix(want - body.count)
        }
        return (Data(body), body.count > cap)
    }
}
