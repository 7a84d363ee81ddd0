import ESTOpenSSL

/// A simplereenroll request (RFC 7030 §4.2.2): the CSR and the certificate it renews or
/// rekeys, which authenticated the TLS connection.
public struct ReenrollmentRequest {
    public let csr: CertificateSigningRequest
    public let current: Certificate
    /// REMOTE_USER, for a profile that also requires HTTP authentication.
    public let httpUser: String?

    public init(csr: CertificateSigningRequest, current: Certificate, httpUser: String? = nil) {
        self.csr = csr
        self.current = current
        self.httpUser = httpUser
    }

    /// §4.2.2: "the Subject field and SubjectAltName extension MUST be identical to the
    /// corresponding fields in the certificate being renewed or rekeyed", compared as DER.
    /// The authority calls this once it has authorised `current`, so that a certificate
    /// that may not renew at all is refused as such (403) before its CSR is judged (400).
    public func checkIdentity() throws(ESTError) {
        guard csr.subject == current.subject else {
            throw .badRequest("re-enrollment CSR subject differs from the current certificate (RFC 7030 §4.2.2)")
        }
        guard csr.subjectAltNameDER == current.subjectAltNameDER else {
            throw .badRequest("re-enrollment CSR subjectAltName differs from the current certificate (RFC 7030 §4.2.2)")
        }
    }
}
