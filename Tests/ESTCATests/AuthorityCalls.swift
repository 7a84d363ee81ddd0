import ESTCA
import ESTCore
import ESTOpenSSL

/// The EST operations as the core calls them, with the audit event it would pass: the
/// policy tests speak of requests, not of audit rows.
extension CertificateAuthority {
    static func event(_ operation: String, _ profile: String?, _ subject: DistinguishedName) -> AuditEvent {
        AuditEvent(operation: operation, profile: profile, client: "test", status: 200, outcome: .ok, reason: "issued \(subject)")
    }

    func enroll(csr: CertificateSigningRequest, profile: String?, client: Certificate) throws -> Certificate {
        try enroll(csr: csr, profile: profile, credentials: ClientCredentials(certificate: client),
                   audit: Self.event("simpleenroll", profile, csr.subject))
    }

    func reenroll(_ request: ReenrollmentRequest, profile: String?) throws -> Certificate {
        try reenroll(request, profile: profile, audit: Self.event("simplereenroll", profile, request.csr.subject))
    }

    func serverKeyGen(_ request: ServerKeyGenRequest, profile: String?, client: Certificate) throws -> ServerGeneratedKey {
        try serverKeyGen(request, profile: profile, credentials: ClientCredentials(certificate: client),
                         audit: Self.event("serverkeygen", profile, request.template.subject))
    }
}
