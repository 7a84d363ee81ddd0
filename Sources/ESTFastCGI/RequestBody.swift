import Foundation

/// Reading a request body from the web server.
public enum RequestBody {
    /// Reads at most `cap` + 1 bytes, so an oversized body is detected without holding it.
    /// With no (or an unreadable) CONTENT_LENGTH, e.g. a chunked upload through Apache's
    /// mod_proxy_fcgi, reads to EOF. `read(n)` returns up to `n` bytes, empty at EOF.
    /// Stops at `deadline` (a client trickling its body must not hold a worker): the
    /// socket's receive timeout bounds each wait, this bounds them all.
    /// Returns the bytes read, whether the body was over `cap`, whether time ran out.
    public static func read(declaredLength: Int?, cap: Int, deadline: ContinuousClock.Instant = .now + .seconds(3600),
                     _ read: (Int) -> [UInt8]) -> (body: Data, truncated: Bool, timedOut: Bool) {
        if let declaredLength, declaredLength > cap { return (Data(), true, false) }
        let want = min(declaredLength ?? (cap + 1), cap + 1)
        var body = [UInt8]()
        body.reserveCapacity(want)
        while body.count < want {
            if ContinuousClock.now >= deadline { return (Data(body), false, true) }
            let chunk = read(want - body.count)
            if chunk.isEmpty { break }
            body += chunk.prefix(want - body.count)
        }
        return (Data(body), body.count > cap, false)
    }
}
