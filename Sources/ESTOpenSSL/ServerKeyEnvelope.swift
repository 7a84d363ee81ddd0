internal import COpenSSL
import Foundation

/// CMS (RFC 5652) for server-generated keys (RFC 7030 §4.4.2): the PrivateKeyInfo is put
/// in an AsymmetricKeyPackage (RFC 5958), signed by the issuing CA, then enveloped for
/// the client's key: RSA recipients by key transport, EC recipients by key agreement.
public enum ServerKeyEnvelope {
    public static func seal(privateKeyInfo: Data, signer: Certificate, signerKey: PrivateKey, chain: [Certificate],
                            recipient: Certificate) throws -> Data {
        // AsymmetricKeyPackage ::= SEQUENCE SIZE (1..MAX) OF OneAsymmetricKey; a v1
        // PrivateKeyInfo is a OneAsymmetricKey.
        let package = DER.sequence([privateKeyInfo])
        let signed = try sign(package, contentType: .asymmetricKeyPackage, signer: signer, key: signerKey, chain: chain)
        return try envelope(signed, contentTypeNID: NID_pkcs7_signed, recipient: recipient)
    }

    static func sign(_ content: Data, contentType: OID, signer: Certificate, key: PrivateKey,
                     chain: [Certificate]) throws -> Data {
        guard let certs = estfcgi_sk_X509_new() else { throw OpenSSLError("stack") }
        defer { estfcgi_sk_X509_free(certs) }
        for c in chain { _ = estfcgi_sk_X509_push(certs, c.x509) }
        let flags = UInt32(CMS_PARTIAL | CMS_BINARY)
        guard let cms = CMS_sign(signer.x509, key.pkey, certs, nil, flags) else { throw OpenSSLError("CMS_sign") }
        defer { CMS_ContentInfo_free(cms) }
        guard let type = OBJ_txt2obj(contentType.dotted, 1) else { throw OpenSSLError("OID") }
        defer { ASN1_OBJECT_free(type) }
        guard CMS_set1_eContentType(cms, type) == 1 else { throw OpenSSLError("CMS_set1_eContentType") }
        let input = try MemoryBIO(content)
        guard CMS_final(cms, input.bio, nil, UInt32(CMS_BINARY)) == 1 else { throw OpenSSLError("CMS_final (sign)") }
        return try DERBridge.encode("i2d_CMS_ContentInfo") { i2d_CMS_ContentInfo(cms, $0) }
    }

    static func envelope(_ content: Data, contentTypeNID: Int32, recipient: Certificate) throws -> Data {
        guard let recipients = estfcgi_sk_X509_new() else { throw OpenSSLError("stack") }
        defer { estfcgi_sk_X509_free(recipients) }
        _ = estfcgi_sk_X509_push(recipients, recipient.x509)
        guard let cms = CMS_encrypt(recipients, nil, EVP_aes_256_cbc(), UInt32(CMS_PARTIAL | CMS_BINARY)) else {
            throw OpenSSLError("CMS_encrypt", detail: "cannot encrypt to a \(recipient.publicKey.algorithm) key")
        }
        defer { CMS_ContentInfo_free(cms) }
        guard CMS_set1_eContentType(cms, OBJ_nid2obj(contentTypeNID)) == 1 else {
            throw OpenSSLError("CMS_set1_eContentType")
        }
        let input = try MemoryBIO(content)
        guard CMS_final(cms, input.bio, nil, UInt32(CMS_BINARY)) == 1 else { throw OpenSSLError("CMS_final (encrypt)") }
        return try DERBridge.encode("i2d_CMS_ContentInfo") { i2d_CMS_ContentInfo(cms, $0) }
    }

    /// The client side, for tests and tools: decrypts with `key` and returns the inner
    /// SignedData, verified against `anchors`, as (eContentType, eContent).
    public static func open(_ der: Data, recipient: Certificate, key: PrivateKey,
                            anchors: [Certificate]) throws -> (OID, Data) {
        let env = try DERBridge.decoded("parse CMS", der, free: { CMS_ContentInfo_free($0) }, { p, n in d2i_CMS_ContentInfo(nil, p, n) })
        defer { CMS_ContentInfo_free(env) }
        let plain = try MemoryBIO()
        guard CMS_decrypt(env, key.pkey, recipient.x509, nil, plain.bio, UInt32(CMS_BINARY)) == 1 else {
            throw OpenSSLError("CMS_decrypt")
        }
        let signed = try DERBridge.decoded("parse inner SignedData", plain.data, free: { CMS_ContentInfo_free($0) },
                                           { p, n in d2i_CMS_ContentInfo(nil, p, n) })
        defer { CMS_ContentInfo_free(signed) }
        guard let store = X509_STORE_new() else { throw OpenSSLError("X509_STORE_new") }
        defer { X509_STORE_free(store) }
        for a in anchors { X509_STORE_add_cert(store, a.x509) }
        X509_STORE_set_flags(store, UInt(X509_V_FLAG_PARTIAL_CHAIN))
        let content = try MemoryBIO()
        guard CMS_verify(signed, nil, store, nil, content.bio, UInt32(CMS_BINARY)) == 1 else {
            throw OpenSSLError("CMS_verify")
        }
        guard let typeObject = CMS_get0_eContentType(signed), let type = OID(objectText: typeObject) else {
            throw OpenSSLError("CMS eContentType")
        }
        return (type, content.data)
    }
}
