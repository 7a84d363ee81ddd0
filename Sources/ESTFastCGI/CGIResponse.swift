import ESTCore
import Foundation

/// An EST response as a CGI response (RFC 3875 §6): `Status:`, the headers,
/// Content-Length, a blank line, the body.
enum CGIResponse {
    static func encode(_ r: ESTResponse) -> [UInt8] {
        var head = "Status: \(r.status) \(ESTResponse.reasonPhrase(r.status))\r\n"
        for (name, value) in r.headers { head += "\(name): \(value)\r\n" }
        // RFC 9110 §8.6: no Content-Length on 204; every other answer carries one.
        if r.status != 204 { head += "Content-Length: \(r.body.count)\r\n" }
        head += "\r\n"
        return Array(head.utf8) + (r.status == 204 ? [] : [UInt8](r.body))
    }
}
