import ESTOpenSSL
import Foundation

/// A serverkeygen request (RFC 7030 §4.4.1) as the core read it: the CSR is a template
/// whose own key is ignored, and its attributes say how the generated key travels back.
public struct ServerKeyGenRequest {
    public let template: CertificateSigningRequest
    /// §4.4.1.2 AsymmetricDecryptKeyIdentifier: the subjectKeyIdentifier of the
    /// certificate to encrypt the key to; nil when the CSR names none.
    public let encryptTo: Data?

    public init(template: CertificateSigningRequest, encryptTo: Data?) {
        self.template = template
        self.encryptTo = encryptTo
    }

    /// Reads the §4.4.1 attributes of `csr`.
    public init(parsing csr: CertificateSigningRequest) throws(ESTError) {
        if csr.attribute(.decryptKeyIdentifier) != nil {
            throw .badRequest("symmetric DecryptKeyIdentifier (RFC 7030 §4.4.1.1) is not supported: no shared keys are configured")
        }
        var encryptTo: Data? = nil
        if let attribute = csr.attribute(.asymmetricDecryptKeyIdentifier) {
            // AsymmetricDecryptKeyIdentifier ::= OCTET STRING, one value.
            guard attribute.values.count == 1, let element = DER.elements(attribute.values[0]), element.count == 1,
                  element[0].tag == 0x04, !element[0].content.isEmpty else {
                throw .badRequest("AsymmetricDecryptKeyIdentifier must be one OCTET STRING")
            }
            encryptTo = element[0].content
        }
        self.init(template: csr, encryptTo: encryptTo)
    }
}
