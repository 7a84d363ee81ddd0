import ESTOpenSSL

/// Who the web server says the client is: the TLS client certificate it verified, and
/// the user its HTTP authentication accepted (REMOTE_USER, RFC 3875 §4.1.11). Both come
/// only from the web server's variables, never from a request header.
public struct ClientCredentials {
    public var certificate: Certificate?
    public var httpUser: String?

    public init(certificate: Certificate?, httpUser: String? = nil) {
        self.certificate = certificate
        self.httpUser = httpUser
    }

    /// How the audit and the certificate record name the requester.
    public var description: String? {
        switch (certificate?.subject.string, httpUser) {
        case (let subject?, let user?): return "\(subject) (http user \(user))"
        case (let subject?, nil): return subject
        case (nil, let user?): return "http user \(user)"
        case (nil, nil): return nil
        }
    }
}
