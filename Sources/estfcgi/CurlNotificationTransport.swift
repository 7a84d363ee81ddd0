import ESTCA
import ESTHTTP
import Foundation

/// The deliverer's HTTP client: libcurl (ESTHTTP), no redirects, the receiver's CA file
/// for https. The answer's body is not used; one over HTTPClient's default bound (64 KiB)
/// is a failed attempt.
struct CurlNotificationTransport: NotificationTransport {
    func post(url: String, body: Data, headers: [(String, String)], caFile: String?, timeoutSeconds: Int) throws -> Int {
        try HTTPClient.post(url: url, body: [UInt8](body), headers: headers.map { (name: $0.0, value: $0.1) },
                            timeout: .seconds(timeoutSeconds), caFile: caFile).status
    }
}
