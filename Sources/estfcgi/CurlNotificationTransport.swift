import ESTCA
import ESTHTTP
import Foundation

/// The deliverer's HTTP client: libcurl (ESTHTTP), no redirects, the receiver's CA file
/// for https, the response body read only up to a small bound (it is not used).
struct CurlNotificationTransport: NotificationTransport {
    func post(url: String, body: Data, headers: [(String, String)], caFile: String?, timeoutSeconds: Int) throws -> Int {
        try HTTPClient.post(url: url, body: [UInt8](body), headers: headers.map { (name: $0.0, value: $0.1) },
                            timeout: .seconds(timeoutSeconds), caFile: caFile, maxResponseBytes: 4096).status
    }
}
