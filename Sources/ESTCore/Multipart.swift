import Foundation

/// multipart/mixed (RFC 2046 §5.1) in the conservative shape EST clients parse: every
/// delimiter is CRLF then `--boundary`, part bodies are base64 with LF line ends only
/// (libest mis-reads CR inside a part), and the entity itself has no
/// Content-Transfer-Encoding (RFC 2045 §6.4).
struct Multipart {
    struct Part {
        var contentType: String
        var base64Body: String
    }

    let boundary: String
    var parts: [Part] = []

    init(boundary: String) { self.boundary = boundary }

    var contentType: String { "multipart/mixed; boundary=\(boundary)" }

    var body: Data {
        var out = ""
        for (i, part) in parts.enumerated() {
            out += (i == 0 ? "" : "\r\n") + "--\(boundary)\r\n"
            out += "Content-Type: \(part.contentType)\r\n"
            out += "Content-Transfer-Encoding: base64\r\n\r\n"
            out += part.base64Body
        }
        out += "\r\n--\(boundary)--\r\n"
        return Data(out.utf8)
    }
}
