import ESTCore
import ESTOpenSSL

extension CertificateAuthority {
    /// RFC 7030 §3.2.3, §3.3.2: the credentials a first enrollment under `profile` must
    /// present (`--auth`), checked here whatever the core checked before. A certificate is
    /// authorised as a bootstrap certificate and bound to `subject` as the profile says; an
    /// HTTP user is the web server's to verify and the device's to match (`deviceClaim`).
    func authenticateFirstEnrollment(_ credentials: ClientCredentials, profile: Profile, subject: DistinguishedName,
                                     in m: CAMaterial) throws -> Requester {
        var requester = Requester()
        if profile.auth.requiresCertificate(renewal: false) {
            guard let client = credentials.certificate else { throw CAError.unauthenticated("client certificate required") }
            try authorizeFirstEnrollment(client, profile: profile, in: m)
            try profile.identity.checkBinding(subject: subject, client: client)
            requester.bootstrap = client
        }
        if profile.auth.requiresHTTP(renewal: false) {
            guard let user = credentials.httpUser else { throw CAError.unauthenticated("HTTP authentication required") }
            requester.httpUser = user
        }
        requester.name = ClientCredentials(certificate: requester.bootstrap, httpUser: requester.httpUser).description
        return requester
    }
}
