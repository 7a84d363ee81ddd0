import Foundation

/// PEM and liberal base64 handling (RFC 7468).
public enum PEM {
    /// The labels a certificate may carry (RFC 7468 §5.1, and OpenSSL's older names).
    static let certificateLabels: Set<String> = ["CERTIFICATE", "X509 CERTIFICATE", "TRUSTED CERTIFICATE"]

    /// The DER bodies of every `-----BEGIN <label>-----` block in `text`, in order.
    /// `labels` restricts which labels count (nil: any).
    public static func blocks(in text: String, labels: Set<String>? = nil) -> [Data] {
        var result: [Data] = []
        var current: [Substring]? = nil
        var label = ""
        for rawLine in text.split(omittingEmptySubsequences: true, whereSeparator: { $0 == "\n" || $0 == "\r" }) {
            let line = rawLine.trimmingCharacters(in: .whitespaces)
            if line.hasPrefix("-----BEGIN "), line.hasSuffix("-----") {
                label = String(line.dropFirst(11).dropLast(5))
                current = []
            } else if line.hasPrefix("-----END "), current != nil {
                if labels == nil || labels!.contains(label),
                   let der = Data(base64Encoded: current!.joined(), options: .ignoreUnknownCharacters), !der.isEmpty {
                    result.append(der)
                }
                current = nil
            } else if current != nil, !line.contains(":") {
                // Lines with ':' are RFC 1421 headers (Proc-Type, DEK-Info): not body.
                current!.append(Substring(line))
            }
        }
        return result
    }

    public static func encode(_ der: Data, label: String) -> String {
        "-----BEGIN \(label)-----\n" + der.base64Wrapped() + "-----END \(label)-----\n"
    }

    /// Strict-enough base64: whitespace (any line wrapping, CR/LF) is allowed, any other
    /// non-alphabet character is refused rather than silently skipped.
    public static func decodeBase64(_ data: Data) -> Data? {
        var cleaned = [UInt8]()
        cleaned.reserveCapacity(data.count)
        // Read from Data's storage: its iterator costs more per byte than the decoding.
        let valid = data.withUnsafeBytes { raw -> Bool in
            for b in raw {
                switch b {
                case UInt8(ascii: " "), UInt8(ascii: "\t"), UInt8(ascii: "\r"), UInt8(ascii: "\n"): continue
                case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
                     UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "+"), UInt8(ascii: "/"), UInt8(ascii: "="):
                    cleaned.append(b)
                default: return false
                }
            }
            return true
        }
        guard valid else { return nil }
        while cleaned.count % 4 != 0 { cleaned.append(UInt8(ascii: "=")) }
        return Data(base64Encoded: Data(cleaned))
    }

    /// A DER object given as raw DER, PEM, or base64 (what EST bodies and CLI files contain).
    private static let pemBegin = Data("-----BEGIN ".utf8)

    /// Whether `needle` (not empty) occurs in `data`: memchr for its first byte, memcmp for the rest.
    static func contains(_ needle: Data, in data: Data) -> Bool {
        data.withUnsafeBytes { hay in
            needle.withUnsafeBytes { pin in
                guard let h = hay.baseAddress, let n = pin.baseAddress, pin.count > 0, hay.count >= pin.count else { return false }
                let last = hay.count - pin.count  // the last offset the needle can start at
                var offset = 0
                while offset <= last, let hit = memchr(h + offset, Int32(pin[0]), last - offset + 1) {
                    if memcmp(hit, n, pin.count) == 0 { return true }
                    offset = h.distance(to: UnsafeRawPointer(hit)) + 1
                }
                return false
            }
        }
    }

    public static func derFromAnyEncoding(_ data: Data, labels: Set<String>? = nil) -> Data? {
        guard let first = data.first(where: { !($0 == 0x20 || $0 == 0x0a || $0 == 0x0d || $0 == 0x09) }) else { return nil }
        if first == 0x30 { return data.first == 0x30 ? data : nil }
        // Searched as bytes: an ASCII run reads the same in the repaired text, and both
        // NSString's search and Data.range(of:) cost more than decoding the base64.
        if contains(pemBegin, in: data) { return blocks(in: String(decoding: data, as: UTF8.self), labels: labels).first }
        return decodeBase64(data)
    }
}
