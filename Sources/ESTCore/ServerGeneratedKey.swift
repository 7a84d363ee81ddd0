import ESTOpenSSL
import Foundation

/// The answer to serverkeygen (RFC 7030 §4.4.2): the key part and the certificate.
public struct ServerGeneratedKey {
    public enum KeyPart {
        /// Unencrypted PKCS#8 PrivateKeyInfo DER (application/pkcs8).
        case pkcs8(Data)
        /// CMS EnvelopedData of a SignedData of the key (smime-type=server-generated-key).
        case encrypted(Data, recipient: String)

        /// The subject of the certificate the key was encrypted to, nil when sent in clear.
        public var recipient: String? {
            if case .encrypted(_, let recipient) = self { return recipient }
            return nil
        }
    }

    public let key: KeyPart
    public let certificate: Certificate
    public let keyType: KeyType

    /// The subject of the certificate the key was encrypted to, nil when sent in clear.
    public var encryptedTo: String? { key.recipient }

    /// What the audit record of its issuance adds to "issued SUBJECT".
    public static func auditDetail(keyType: KeyType, encryptedTo: String?) -> String {
        " with a server-generated \(keyType.rawValue) key" + (encryptedTo.map { " encrypted to \($0)" } ?? "")
    }

    public init(key: KeyPart, certificate: Certificate, keyType: KeyType) {
        self.key = key
        self.certificate = certificate
        self.keyType = keyType
    }
}
