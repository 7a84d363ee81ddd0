/// `/.well-known/est/crl/{CA}`: a CA's latest CRL at a URL that names the CA, so that the
/// distribution point in a certificate (RFC 5280 §4.2.1.13) keeps naming its issuer's CRL
/// whatever later happens to the profile that issued it. A profile's `--crl-url` puts the
/// issuing CA's name where it says `{ca}` (with `(N)` after it under the CA's N-th later key).
public enum CRLIssuerPath {
    public static let placeholder = "{ca}"

    /// A CA name that stands in a URL path as it is: 1-64 of `[A-Za-z0-9._~-]` (RFC 3986
    /// §2.3 unreserved), not `.` or `..`. Other CA names cannot be `{ca}`.
    public static func isURLSafe(_ name: String) -> Bool {
        (1...64).contains(name.utf8.count) && name != "." && name != ".." && name.utf8.allSatisfy { b in
            (0x30...0x39).contains(b) || (0x41...0x5a).contains(b) || (0x61...0x7a).contains(b)
                || b == UInt8(ascii: ".") || b == UInt8(ascii: "_") || b == UInt8(ascii: "-") || b == UInt8(ascii: "~")
        }
    }

    /// `template` with `{ca}` replaced by `issuer`; for a certificate signed by the CA's
    /// N-th later key (`ca rollover`, `ca renew --new-key`), by `issuer(N)`: each key's CRL
    /// has its own URL (RFC 4210 §4.4: the old key keeps signing the CRLs of what it
    /// certified), the CRLNameSuffix convention of Microsoft AD CS. See docs/design.md.
    public static func url(_ template: String, issuer: String, keyIndex: Int = 0) -> String {
        template.replacingOccurrences(of: placeholder, with: segment(issuer: issuer, keyIndex: keyIndex))
    }

    /// `NAME` for a CA's first key, `NAME(N)` for its N-th later one.
    public static func segment(issuer: String, keyIndex: Int) -> String {
        keyIndex > 0 ? "\(issuer)(\(keyIndex))" : issuer
    }

    /// The CA name and key index of a `/crl/` path segment: `NAME` or `NAME(N)`, N 1-9999
    /// without leading zeros (one spelling per key); nil for anything else.
    public static func parse(_ segment: String) -> (name: String, keyIndex: Int)? {
        if segment.hasSuffix(")"), let open = segment.lastIndex(of: "(") {
            let name = String(segment[..<open])
            let digits = segment[segment.index(after: open)..<segment.index(before: segment.endIndex)]
            guard (1...4).contains(digits.utf8.count), digits.first != "0", digits.utf8.allSatisfy({ (0x30...0x39).contains($0) }),
                  let n = Int(digits), isURLSafe(name) else { return nil }
            return (name, n)
        }
        return isURLSafe(segment) ? (segment, 0) : nil
    }
}
