internal import CCurl

/// Collects a response body for libcurl's write callback, up to a limit. One per transfer,
/// touched only by the thread running that transfer.
final class ResponseSink {
    let limit: Int
    var bytes: [UInt8] = []
    var overflowed = false

    init(limit: Int) { self.limit = limit }

    func append(_ data: UnsafeRawBufferPointer) -> Bool {
        guard bytes.count + data.count <= limit else {
            overflowed = true
            return false
        }
        bytes.append(contentsOf: data)
        return true
    }
}

/// libcurl's CURLOPT_WRITEFUNCTION. A global function, not a closure: a C callback closure
/// can be inferred main-actor isolated in Swift 6 and trap on a worker thread. Returning less
/// than size * count makes libcurl stop with CURLE_WRITE_ERROR (the body is over the limit).
func estHTTPWrite(_ data: UnsafeMutablePointer<CChar>?, _ size: Int, _ count: Int,
                  _ context: UnsafeMutableRawPointer?) -> Int {
    guard let context else { return 0 }
    let (total, overflow) = size.multipliedReportingOverflow(by: count)
    guard !overflow else { return 0 }
    guard total > 0, let data else { return 0 }
    let sink = Unmanaged<ResponseSink>.fromOpaque(context).takeUnretainedValue()
    return sink.append(UnsafeRawBufferPointer(start: data, count: total)) ? total : 0
}
