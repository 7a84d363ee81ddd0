import Foundation

extension CertificateTemplate {
    /// A delegated OCSP responder certificate (RFC 6960 §4.2.2.2): not a CA, keyUsage
    /// digitalSignature, extendedKeyUsage id-kp-OCSPSigning, and id-pkix-ocsp-nocheck
    /// (§4.2.2.2.1), so that clients do not ask the responder about its own certificate;
    /// §4.2.2.2.1 has such a certificate live briefly, which `notAfter` is for the caller to set.
    public static func ocspResponder(subject: DistinguishedName, publicKey: PublicKey, serial: Data,
                                     notBefore: Date, notAfter: Date) -> CertificateTemplate {
        var t = CertificateTemplate(subject: subject, publicKey: publicKey, serial: serial, notBefore: notBefore,
                                    notAfter: notAfter, isCA: false, keyUsage: [.digitalSignature],
                                    extendedKeyUsage: [.ocspSigning])
        t.ocspNoCheck = true
        return t
    }
}
