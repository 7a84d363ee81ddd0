import ESTOpenSSL
import Foundation

/// What the EST protocol core asks of a CA, one method per RFC 7030 operation, in the
/// manner of globalsign/est's `CA` interface. The core applies the wire rules first
/// (routing, methods, media types, authentication present, §4.4.1 attributes) and hands
/// over typed requests; the authority decides trust and policy and throws an
/// `ESTStatusError` when it refuses. `profile` is the §3.2.2 label, nil for the default.
/// An unknown profile is refused 404 before any other decision (only a 5xx may come
/// earlier): the core takes any other answer as proof that the label names a profile.
///
/// A request held for an operator's approval is answered 202 with Retry-After (§4.2.3):
/// the authority throws an `ESTStatusError` of status 202 carrying that header.
///
/// `audit` is the record of a successful issuance as the core sees it (operation,
/// profile, client, "issued SUBJECT"): the authority records it, with the serial, in the
/// same transaction as the certificate, so neither exists without the other.
public protocol EnrollmentAuthority: AnyObject {
    /// §4.1: the certificates /cacerts returns.
    func caCertificates(profile: String?) throws -> [Certificate]
    /// §3.2.3, §3.3.2: what a first enrollment under `profile` must present; the core
    /// refuses (401) before reading a body that comes without it. `.certificate` for a
    /// profile that does not exist, so that an unauthenticated client learns nothing.
    func clientAuthentication(profile: String?) -> ClientAuthentication
    /// `clientAuthentication(profile:)` as the authority last knew it, without asking its
    /// store; nil when it does not know. It may trail a change made a moment ago, so the core
    /// only lets a request on with it (the authority decides again, on current settings, once
    /// the body is read) and refuses only on a current answer.
    func lastKnownClientAuthentication(profile: String?) -> ClientAuthentication?
    /// §4.2.1: first enrollment, authenticated by `credentials`.
    func enroll(csr: CertificateSigningRequest, profile: String?, credentials: ClientCredentials,
                audit: AuditEvent) throws -> Certificate
    /// §4.2.2: renewal or rekey of `request.current`. Once it has authorised that
    /// certificate, the authority calls `request.checkIdentity()`.
    func reenroll(_ request: ReenrollmentRequest, profile: String?, audit: AuditEvent) throws -> Certificate
    /// §4.4: a key generated here and a certificate for it; the audit reason gets
    /// `ServerGeneratedKey.auditDetail`.
    func serverKeyGen(_ request: ServerKeyGenRequest, profile: String?, credentials: ClientCredentials,
                      audit: AuditEvent) throws -> ServerGeneratedKey
    /// §4.5: the DER CsrAttrs the profile asks for, nil when it asks for nothing (204).
    func csrAttributes(profile: String?) throws -> Data?
    /// The DER of the latest CRL of the profile's issuing CA (RFC 5280 §5); an
    /// `ESTStatusError` of 404 before it has published one.
    func crl(profile: String?) throws -> Data
    /// The DER of the latest CRL of the CA named `issuer` (`/.well-known/est/crl/{CA}`); an
    /// `ESTStatusError` of 404 for an unknown CA or before it has published one. `issuer` is
    /// the path segment: `NAME(N)` asks for the CRL of the CA's N-th later key (`CRLIssuerPath`).
    func crl(issuer: String) throws -> Data
    /// OCSP (RFC 6960, RFC 5019) for every CA in the store: the answer to a request that
    /// parsed. Status comes from the store on every call; the answer writes nothing to it.
    /// An unsuccessful answer (unauthorized, tryLater) is returned, not thrown; a thrown
    /// error is answered internalError (tryLater for a 503).
    func ocsp(_ request: OCSPRequest) throws -> OCSPAnswer
    /// Records one audit event: every request that reached a policy decision leaves one,
    /// allowed or refused. It may join a later transaction, within a bounded delay, so that
    /// a refusal costs no disk flush of its own. A failure is reported in the log line.
    func audit(_ event: AuditEvent) throws
}

public extension EnrollmentAuthority {
    func lastKnownClientAuthentication(profile: String?) -> ClientAuthentication? { nil }
}
