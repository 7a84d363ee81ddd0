internal import COpenSSL
import Foundation

/// Builds PKCS#10 requests (RFC 2986): what a device does; used by tests and the demo.
public enum CSRBuilder {
    /// `extensions` are OpenSSL config strings by short name, e.g.
    /// `["subjectAltName": "DNS:dev.example", "basicConstraints": "critical,CA:TRUE"]`.
    public static func make(subject: DistinguishedName, key: PrivateKey, extensions: [(String, String)] = []) throws
        -> CertificateSigningRequest {
        guard let req = X509_REQ_new() else { throw OpenSSLError("X509_REQ_new") }
        do {
            try build(req, subject: subject, key: key, extensions: extensions)
        } catch {
            X509_REQ_free(req)
            throw error
        }
        return try CertificateSigningRequest(owning: req)
    }

    private static func build(_ req: OpaquePointer, subject: DistinguishedName, key: PrivateKey,
                              extensions: [(String, String)]) throws {
        guard X509_REQ_set_version(req, 0) == 1 else { throw OpenSSLError("X509_REQ_set_version") }
        try subject.withName { name in
            guard X509_REQ_set_subject_name(req, name) == 1 else { throw OpenSSLError("X509_REQ_set_subject_name") }
        }
        guard X509_REQ_set_pubkey(req, key.pkey) == 1 else { throw OpenSSLError("X509_REQ_set_pubkey") }
        if !extensions.isEmpty {
            guard let stack = estfcgi_sk_X509_EXTENSION_new() else { throw OpenSSLError("stack") }
            defer { estfcgi_sk_X509_EXTENSION_pop_free(stack) }
            for (name, value) in extensions {
                let nid = OBJ_sn2nid(name)
                guard nid != NID_undef, let ext = estfcgi_make_extension(nil, nil, nid, value) else {
                    throw OpenSSLError("extension \(name)=\(value)")
                }
                guard estfcgi_sk_X509_EXTENSION_push(stack, ext) > 0 else {
                    X509_EXTENSION_free(ext)
                    throw OpenSSLError("stack push")
                }
            }
            guard X509_REQ_add_extensions(req, stack) == 1 else { throw OpenSSLError("X509_REQ_add_extensions") }
        }
        guard X509_REQ_sign(req, key.pkey, key.algorithm.signingDigest) > 0 else { throw OpenSSLError("sign CSR") }
    }
}
