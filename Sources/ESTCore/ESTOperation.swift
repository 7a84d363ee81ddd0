/// RFC 7030 §3.2.2 operation path segments, and `crl`: not an EST operation, the current
/// CRL of the profile's issuing CA (RFC 5280 §5), for the distribution point URL that
/// issued certificates carry; and `ocsp`: not an EST operation either, the OCSP responder
/// (RFC 6960 Appendix A, RFC 5019 §5) for every CA in the store. Every case is reserved:
/// never a profile label.
public enum ESTOperation: String, Sendable, CaseIterable {
    case cacerts, simpleenroll, simplereenroll, serverkeygen, csrattrs, fullcmc, crl, ocsp

    /// §4.2, §4.4: the operations whose body is a PKCS#10 request from an authenticated client.
    public var carriesCSR: Bool { self == .simpleenroll || self == .simplereenroll || self == .serverkeygen }

    /// §4.1.1, §4.5.1: GET; §4.2, §4.3, §4.4: POST. OCSP (RFC 6960 Appendix A.1) takes POST
    /// at its URL and GET below it (`Route.ocspGET`), so this is its POST form.
    public var allowedMethod: String {
        switch self {
        case .cacerts, .csrattrs, .crl: return "GET"
        case .simpleenroll, .simplereenroll, .serverkeygen, .fullcmc, .ocsp: return "POST"
        }
    }
}
