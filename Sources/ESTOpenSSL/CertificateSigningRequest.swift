import COpenSSL
import Foundation

/// A PKCS#10 certification request (RFC 2986).
public final class CertificateSigningRequest: @unchecked Sendable {
    let req: OpaquePointer

    init(owning req: OpaquePointer) { self.req = req }

    deinit { X509_REQ_free(req) }

    public convenience init(der: Data) throws {
        guard let r = derDecode(der, { p, n in d2i_X509_REQ(nil, p, n) }) else {
            _ = OpenSSLError.drainQueue()
            throw OpenSSLError("parse CSR", detail: "not a DER PKCS#10 request")
        }
        self.init(owning: r)
    }

    /// Accepts DER, PEM (`CERTIFICATE REQUEST` / `NEW CERTIFICATE REQUEST`) or base64 with
    /// any line wrapping (RFC 7030 §4.2.1 as clarified by RFC 8951 §3).
    public convenience init(anyEncoding data: Data) throws {
        guard let der = PEM.derFromAnyEncoding(data, labels: ["CERTIFICATE REQUEST", "NEW CERTIFICATE REQUEST"]) else {
            throw OpenSSLError("parse CSR", detail: "body is neither DER, PEM nor base64")
        }
        try self.init(der: der)
    }

    public var der: Data { (try? derEncode("i2d_X509_REQ") { i2d_X509_REQ(req, $0) }) ?? Data() }
    public var pem: String { PEM.encode(der, label: "CERTIFICATE REQUEST") }

    public var subject: DistinguishedName { DistinguishedName(copying: X509_REQ_get_subject_name(req)) }

    public var publicKey: PublicKey? {
        guard let k = X509_REQ_get_pubkey(req) else { return nil }
        return PublicKey(owning: k)
    }

    /// True when the request is signed by the key it carries (proof of possession).
    public var signatureIsValid: Bool {
        guard let key = X509_REQ_get0_pubkey(req) else { return false }
        let ok = X509_REQ_verify(req, key) == 1
        _ = OpenSSLError.drainQueue()
        return ok
    }

    /// Dotted OIDs of the attributes in the request (challengePassword, extensionRequest, ...).
    public var attributeOIDs: [String] {
        (0..<X509_REQ_get_attr_count(req)).compactMap { i in
            guard let attr = X509_REQ_get_attr(req, i), let obj = X509_ATTRIBUTE_get0_object(attr) else { return nil }
            return oidString(obj)
        }
    }

    /// The raw value (the DER inside the attribute's SET) of the first value of
    /// attribute `oid`, nil when absent.
    public func attributeValueDER(_ oid: String) -> Data? {
        guard let obj = OBJ_txt2obj(oid, 1) else { return nil }
        defer { ASN1_OBJECT_free(obj) }
        let idx = X509_REQ_get_attr_by_OBJ(req, obj, -1)
        guard idx >= 0, let attr = X509_REQ_get_attr(req, idx),
              let type = X509_ATTRIBUTE_get0_type(attr, 0) else { return nil }
        return try? derEncode("i2d_ASN1_TYPE") { i2d_ASN1_TYPE(type, $0) }
    }

    /// Requested extensions as (dotted OID, DER value of the extnValue OCTET STRING).
    public var requestedExtensions: [(oid: String, value: Data, critical: Bool)] {
        guard let exts = X509_REQ_get_extensions(req) else { return [] }
        defer { estfcgi_sk_X509_EXTENSION_pop_free(exts) }
        return (0..<estfcgi_sk_X509_EXTENSION_num(exts)).compactMap { i -> (oid: String, value: Data, critical: Bool)? in
            guard let ext = estfcgi_sk_X509_EXTENSION_value(exts, i),
                  let obj = X509_EXTENSION_get_object(ext),
                  let data = X509_EXTENSION_get_data(ext) else { return nil }
            return (oidString(obj), asn1StringBytes(UnsafePointer(data)), X509_EXTENSION_get_critical(ext) == 1)
        }
    }

    /// Dotted OID of the signature algorithm (e.g. 1.2.840.10045.4.3.3, ecdsa-with-SHA384).
    public var signatureAlgorithmOID: String {
        var alg: UnsafePointer<X509_ALGOR>?
        X509_REQ_get0_signature(req, nil, &alg)
        guard let alg else { return "" }
        var obj: OpaquePointer?
        X509_ALGOR_get0(&obj, nil, nil, alg)
        return obj.map(oidString) ?? ""
    }

    /// The value of a single-valued OCTET STRING attribute (e.g. RFC 7030 §4.4.1.2
    /// AsymmetricDecryptKeyIdentifier), nil when absent or of another type.
    public func octetStringAttribute(_ oid: String) -> Data? {
        guard let der = attributeValueDER(oid), let el = DER.elements(der)?.first, el.tag == 0x04 else { return nil }
        return el.content
    }

    /// The GeneralName kinds in the requested subjectAltName: dns, ip, email, uri, other.
    public var subjectAltNameKinds: Set<String> {
        guard let san = subjectAltNameDER, let seq = DER.elements(san)?.first, seq.tag == 0x30,
              let names = DER.elements(seq.content) else { return [] }
        return Set(names.map { name in
            switch name.tag & 0x1f {  // context-specific [n] (RFC 5280 §4.2.1.6)
            case 1: return "email"
            case 2: return "dns"
            case 6: return "uri"
            case 7: return "ip"
            default: return "other"
            }
        })
    }

    /// The DER of the requested subjectAltName GeneralNames, nil when not requested.
    public var subjectAltNameDER: Data? {
        requestedExtensions.first { $0.oid == "2.5.29.17" }?.value
    }
}

func oidString(_ obj: OpaquePointer) -> String {
    var buf = [CChar](repeating: 0, count: 128)
    let n = OBJ_obj2txt(&buf, Int32(buf.count), obj, 1)
    guard n > 0 else { return "" }
    return String(decoding: buf.prefix(Int(min(n, 127))).map { UInt8(bitPattern: $0) }, as: UTF8.self)
}
