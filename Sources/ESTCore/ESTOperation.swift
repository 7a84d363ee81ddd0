/// RFC 7030 §3.2.2 operation path segments, and `crl`: not an EST operation, the current
/// CRL of the profile's issuing CA (RFC 5280 §5), for the distribution point URL that
/// issued certificates carry.
public enum ESTOperation: String, Sendable, CaseIterable {
    case cacerts, simpleenroll, simplereenroll, serverkeygen, csrattrs, fullcmc, crl

    /// §4.2, §4.4: the operations whose body is a PKCS#10 request from an authenticated client.
    public var carriesCSR: Bool { self == .simpleenroll || self == .simplereenroll || self == .serverkeygen }

    /// §4.1.1, §4.5.1: GET; §4.2, §4.3, §4.4: POST.
    public var allowedMethod: String {
        switch self {
        case .cacerts, .csrattrs, .crl: return "GET"
        case .simpleenroll, .simplereenroll, .serverkeygen, .fullcmc: return "POST"
        }
    }
}
