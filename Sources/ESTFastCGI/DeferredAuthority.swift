import ESTCore
import ESTOpenSSL
import Foundation

/// An authority opened when a request first needs it. A CGI process answers one request
/// and pays its start-up on every one, and many answers need no store at all (unrouted,
/// wrong method or media type, a body too large): those open nothing. A CSR-carrying
/// request opens it before its body is read, to learn what the profile authenticates with
/// (RFC 7030 §3.2.3). What `open` throws is kept and answered on every call as a 500 (503
/// when the store was busy or full), its reason in the log line: a missing or unreadable
/// store, or passphrase file, is the operator's to fix, not the client's (never a 404 or 400).
public final class DeferredAuthority: EnrollmentAuthority {
    private let open: () throws -> any EnrollmentAuthority
    private var opened: Result<any EnrollmentAuthority, OpenFailure>?

    public init(_ open: @escaping () throws -> any EnrollmentAuthority) {
        self.open = open
    }

    /// Why the authority could not be opened.
    struct OpenFailure: ESTStatusError, CustomStringConvertible {
        let underlying: any Error
        var httpStatus: Int { (underlying as? ESTStatusError)?.httpStatus == 503 ? 503 : 500 }
        var reason: String {
            "cannot open the CA store: " + ((underlying as? ESTStatusError)?.reason ?? "\(underlying)")
        }
        var description: String { reason }
    }

    /// Whether `open` ran (tests: the refusals that need no store never open it).
    public var isOpen: Bool { opened != nil }

    private func authority() throws -> any EnrollmentAuthority {
        if opened == nil {
            do { opened = .success(try open()) } catch { opened = .failure(OpenFailure(underlying: error)) }
        }
        return try opened!.get()
    }

    public func caCertificates(profile: String?) throws -> [Certificate] {
        try authority().caCertificates(profile: profile)
    }

    /// Opens the store: a 401 must say whether the profile takes HTTP authentication.
    /// A store that cannot be opened answers every later call, so this falls back to
    /// certificates and the request still fails as a 500.
    public func clientAuthentication(profile: String?) -> ClientAuthentication {
        (try? authority())?.clientAuthentication(profile: profile) ?? .certificate
    }

    /// Nothing is known before the store is opened.
    public func lastKnownClientAuthentication(profile: String?) -> ClientAuthentication? {
        guard case .success(let authority)? = opened else { return nil }
        return authority.lastKnownClientAuthentication(profile: profile)
    }

    public func enroll(csr: CertificateSigningRequest, profile: String?, credentials: ClientCredentials,
                       audit: AuditEvent) throws -> Certificate {
        try authority().enroll(csr: csr, profile: profile, credentials: credentials, audit: audit)
    }

    public func reenroll(_ request: ReenrollmentRequest, profile: String?, audit: AuditEvent) throws -> Certificate {
        try authority().reenroll(request, profile: profile, audit: audit)
    }

    public func serverKeyGen(_ request: ServerKeyGenRequest, profile: String?, credentials: ClientCredentials,
                             audit: AuditEvent) throws -> ServerGeneratedKey {
        try authority().serverKeyGen(request, profile: profile, credentials: credentials, audit: audit)
    }

    public func csrAttributes(profile: String?) throws -> Data? {
        try authority().csrAttributes(profile: profile)
    }

    public func crl(profile: String?) throws -> Data {
        try authority().crl(profile: profile)
    }

    public func crl(issuer: String) throws -> Data {
        try authority().crl(issuer: issuer)
    }

    public func ocsp(_ request: OCSPRequest) throws -> OCSPAnswer {
        try authority().ocsp(request)
    }

    public func audit(_ event: AuditEvent) throws {
        try authority().audit(event)
    }
}
