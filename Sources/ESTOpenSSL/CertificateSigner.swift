import Foundation

/// Signs certificate templates with a CA key (or self-signs a root).
public enum CertificateSigner {
    /// Encodes and signs a certificate (RFC 5280 §4.1). With `issuer` nil the certificate is
    /// self-signed by `issuerKey` (a root). The digest follows the signing key (KeyAlgorithm).
    public static func sign(_ t: CertificateTemplate, issuer: Certificate?, issuerKey: PrivateKey) throws -> Certificate {
        // authorityKeyIdentifier as OpenSSL's "keyid:always": the issuer's subjectKeyIdentifier,
        // or a root's own; an issuer without one (or with one of 2 octets or less) is refused.
        let authorityKeyIdentifier: Data
        if let issuer {
            guard let ski = issuer.subjectKeyIdentifier, ski.count > 2 else {
                throw OpenSSLError("extension authorityKeyIdentifier = keyid:always",
                                   detail: "the issuer certificate \(issuer.subject) has no subjectKeyIdentifier")
            }
            authorityKeyIdentifier = ski
        } else {
            authorityKeyIdentifier = t.publicKey.keyIdentifier
        }
        let issuerName = issuer?.subject ?? t.subject
        let algorithm = try issuerKey.certificateSignatureAlgorithm()
        let tbs = try t.tbsDER(.init(issuerName: issuerName.der, authorityKeyIdentifier: authorityKeyIdentifier,
                                     signatureAlgorithm: algorithm))
        let signature = try issuerKey.signature(over: tbs)
        // Certificate ::= SEQUENCE { tbsCertificate, signatureAlgorithm, signatureValue BIT STRING }
        let der = DER.sequence([tbs, algorithm, DER.tlv(0x03, Data([0]) + signature)])
        return try Certificate(signed: der, template: t, issuer: issuerName, authorityKeyIdentifier: authorityKeyIdentifier)
    }
}
