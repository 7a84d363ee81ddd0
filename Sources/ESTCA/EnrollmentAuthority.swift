import ESTOpenSSL

/// What the EST protocol core asks of a CA, one method per RFC 7030 operation, in the
/// manner of globalsign/est's `CA` interface. Implementations decide trust and policy
/// and throw `CAError` (which the core maps to an HTTP status) when they refuse.
/// `profile` is the RFC 7030 §3.2.2 label, nil for the default profile.
public protocol EnrollmentAuthority: AnyObject {
    /// §4.1: the certificates /cacerts returns.
    func caCertificates(profile: String?) throws -> [Certificate]
    /// §4.2.1: first enrollment, authenticated by `client` (the TLS client certificate).
    func enroll(csr: CertificateSigningRequest, profile: String?, client: Certificate?) throws -> Certificate
    /// §4.2.2: renewal or rekey of `client`, a certificate this CA issued.
    func reenroll(csr: CertificateSigningRequest, profile: String?, client: Certificate?) throws -> Certificate
    /// Records one audit event (every request leaves one, allowed or refused).
    func audit(_ event: AuditEvent)
}
