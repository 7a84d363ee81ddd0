import Foundation

/// The OCSP responder URLs a certificate's authorityInfoAccess extension may carry
/// (RFC 5280 §4.2.2.1 id-ad-ocsp; RFC 6960 Appendix A.1: OCSP over HTTP).
public enum OCSPURL {
    /// id-ad-ocsp (RFC 5280 §4.2.2.1).
    static let accessMethod = OID(named: "1.3.6.1.5.5.7.48.1")
    /// The prefix DistributionPointURI puts on its reasons, replaced by this type's.
    private static let crlPrefix = "CRL distribution point"

    /// DistributionPointURI.validate's rules (1 to 2048 printable ASCII characters, a host
    /// after the scheme), for http:// and https:// only: OCSP is carried over HTTP, and no
    /// client fetches an OCSP response over LDAP. Throws CRLError, its reason starting "OCSP URL".
    public static func validate(_ url: String) throws {
        do {
            try DistributionPointURI.validate(url)
        } catch let error as CRLError where error.description.hasPrefix(crlPrefix) {
            throw CRLError("OCSP URL" + error.description.dropFirst(crlPrefix.count))
        }
        guard url.hasPrefix("http://") || url.hasPrefix("https://") else {
            throw CRLError("OCSP URL: '\(url.prefix(40))' is not an http:// or https:// URI")
        }
    }

    /// The extension value for `urls` (each validated), in order:
    /// AuthorityInfoAccessSyntax ::= SEQUENCE OF AccessDescription
    /// AccessDescription ::= SEQUENCE { accessMethod id-ad-ocsp, accessLocation [6] uniformResourceIdentifier }
    static func extensionValue(_ urls: [String]) throws -> Data {
        for url in urls { try validate(url) }
        return DER.sequence(urls.map { DER.sequence([accessMethod.der, GeneralName.uri($0).der]) })
    }
}
