import Foundation

/// The URIs a certificate's cRLDistributionPoints extension may carry (RFC 5280 §4.2.1.13).
public enum DistributionPointURI {
    static let schemes = ["http://", "https://", "ldap://"]
    static let maxLength = 2048

    /// Accepts an absolute http, https or ldap URI of 1 to 2048 printable ASCII characters
    /// (0x21-0x7E: an IA5String with no space or control character), with something after
    /// the scheme; an http(s) URI needs a host (RFC 9110 §4.2.1). Throws CRLError otherwise.
    public static func validate(_ uri: String) throws {
        let bytes = Array(uri.utf8)
        guard !bytes.isEmpty else { throw CRLError("CRL distribution point: empty URI") }
        guard bytes.count <= maxLength else {
            throw CRLError("CRL distribution point: URI of \(bytes.count) bytes (at most \(maxLength))")
        }
        if let i = bytes.firstIndex(where: { !(0x21...0x7e).contains($0) }) {
            throw CRLError("CRL distribution point: a space, control or non-ASCII character at byte \(i)")
        }
        guard let scheme = schemes.first(where: { uri.hasPrefix($0) }) else {
            throw CRLError("CRL distribution point: '\(uri.prefix(40))' is not an http://, https:// or ldap:// URI")
        }
        let rest = uri.dropFirst(scheme.count)
        guard !rest.isEmpty else { throw CRLError("CRL distribution point: nothing after \(scheme)") }
        if scheme != "ldap://", rest.first == "/" || rest.first == "?" || rest.first == "#" {
            throw CRLError("CRL distribution point: no host after \(scheme)")
        }
    }

    /// The extension value for `uris` (each validated): one DistributionPoint whose
    /// distributionPoint is a fullName of uniformResourceIdentifiers.
    /// CRLDistributionPoints ::= SEQUENCE OF SEQUENCE { distributionPoint [0] { fullName [0] GeneralNames } }
    static func extensionValue(_ uris: [String]) throws -> Data {
        for uri in uris { try validate(uri) }
        let names = uris.map { GeneralName.uri($0).der }.reduce(Data(), +)
        return DER.sequence([DER.sequence([DER.tlv(0xa0, DER.tlv(0xa0, names))])])
    }
}
