/// `/.well-known/est/crl/{CA}`: a CA's latest CRL at a URL that names the CA, so that the
/// distribution point in a certificate (RFC 5280 §4.2.1.13) keeps naming its issuer's CRL
/// whatever later happens to the profile that issued it. A profile's `--crl-url` puts the
/// issuing CA's name where it says `{ca}`.
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

    /// `template` with `{ca}` replaced by `issuer`.
    public static func url(_ template: String, issuer: String) -> String {
        template.replacingOccurrences(of: placeholder, with: issuer)
    }
}
