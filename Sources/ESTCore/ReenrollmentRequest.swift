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
    /// corresponding fields in the certificate being renewed or rekeyed". Identical as
    /// names (RFC 5280 §7.1), not as bytes: the same name in another string type
    /// (PrintableString from Go's x509, UTF8String from `openssl req`), case or spacing is
    /// the same subject; the RDNs, their attribute types and order must match. The subject
    /// goes through OpenSSL's X509_NAME_cmp, which compares canonical encodings (x_name.c
    /// asn1_string_canon: directory strings as UTF-8, leading and trailing white space
    /// dropped, inner runs folded to one space, ASCII lower-cased; each RDN a DER SET), then
    /// for values beyond ASCII RFC 4518's case folding and NFKC (DistinguishedName.isEquivalent).
    /// The subjectAltName: GeneralName.equivalentSubjectAltNames. What is issued carries the
    /// current certificate's bytes, so a device's identity never changes encoding.
    /// The authority calls this once it has authorised `current`, so that a certificate
    /// that may not renew at all is refused as such (403) before its CSR is judged (400).
    public func checkIdentity() throws(ESTError) {
        guard csr.subject.isEquivalent(to: current.subject) else {
            throw .badRequest("re-enrollment CSR subject differs from the current certificate (RFC 7030 §4.2.2)")
        }
        guard GeneralName.equivalentSubjectAltNames(csr.subjectAltNameDER, current.subjectAltNameDER) else {
            throw .badRequest("re-enrollment CSR subjectAltName differs from the current certificate (RFC 7030 §4.2.2)")
        }
    }
}
