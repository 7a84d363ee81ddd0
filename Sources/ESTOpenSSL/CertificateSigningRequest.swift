internal import COpenSSL
import Foundation

/// A PKCS#10 certification request (RFC 2986), with every field estfcgi uses read once
/// when it is parsed.
public final class CertificateSigningRequest: @unchecked Sendable {
    /// One request attribute (RFC 2986 §4.1): its type and the DER of each value.
    public struct Attribute: Sendable {
        public let oid: OID
        public let values: [Data]
    }

    /// One requested extension (PKCS#9 extensionRequest).
    public struct RequestedExtension: Sendable {
        public let oid: OID
        public let critical: Bool
        /// The DER inside the extnValue OCTET STRING.
        public let value: Data
    }

    let req: OpaquePointer
    public let der: Data
    public let subject: DistinguishedName
    public let publicKey: PublicKey
    /// True when the request is signed by the key it carries (proof of possession).
    public let signatureIsValid: Bool
    /// e.g. 1.2.840.10045.4.3.3, ecdsa-with-SHA384.
    public let signatureAlgorithm: OID
    public let attributes: [Attribute]
    public let requestedExtensions: [RequestedExtension]

    /// Takes ownership of `req`, also when reading it fails.
    init(owning req: OpaquePointer) throws {
        self.req = req
        do {
            der = try DERBridge.encode("i2d_X509_REQ") { i2d_X509_REQ(req, $0) }
            guard let name = X509_REQ_get_subject_name(req) else { throw OpenSSLError("CSR subject") }
            subject = try DistinguishedName(reading: name)
            guard let key = X509_REQ_get_pubkey(req) else {
                throw OpenSSLError("parse CSR", detail: "its public key cannot be decoded")
            }
            publicKey = try PublicKey(owning: key, spki: X509_REQ_get_X509_PUBKEY(req))
            signatureIsValid = X509_REQ_verify(req, publicKey.pkey) == 1
            OpenSSLError.drainQueue()
            signatureAlgorithm = try Self.readSignatureAlgorithm(req)
            attributes = try Self.readAttributes(req)
            requestedExtensions = try Self.readExtensions(req)
        } catch {
            X509_REQ_free(req)
            throw error
        }
    }

    /// The fast path's request (CertificateSigningRequest+Fast): `req` holds the request's
    /// attributes only (nothing reads a subject, key or signature from `req`); `der` is the
    /// request as received, `subject` its subject, `publicKey` its key, `signatureIsValid` the
    /// check of its signature over its CertificationRequestInfo as received.
    private init(owning req: OpaquePointer, der: Data, subject: DistinguishedName, publicKey: PublicKey,
                 signatureIsValid: Bool, signatureAlgorithm: OID) throws {
        self.req = req
        do {
            self.der = der
            self.subject = subject
            self.publicKey = publicKey
            self.signatureIsValid = signatureIsValid
            self.signatureAlgorithm = signatureAlgorithm
            attributes = try Self.readAttributes(req)
            requestedExtensions = try Self.readExtensions(req)
        } catch {
            X509_REQ_free(req)
            throw error
        }
    }

    deinit { X509_REQ_free(req) }

    public convenience init(der: Data) throws {
        if let fast = Self.fastParts(der),
           let (key, valid) = Self.fastKeyAndSignature(curve: fast.curve, point: fast.point, spki: fast.spki, tbs: fast.tbs,
                                                       digest: fast.digest, signature: fast.signature),
           let (r, subject) = Self.fastRequest(subject: fast.subject, attributes: fast.attributes) {
            try self.init(owning: r, der: der, subject: subject, publicKey: key, signatureIsValid: valid,
                          signatureAlgorithm: fast.signatureAlgorithm)
            return
        }
        guard let r = DERBridge.decode(der, free: { X509_REQ_free($0) }, { p, n in d2i_X509_REQ(nil, p, n) }) else {
            throw OpenSSLError("parse CSR", detail: "not a DER PKCS#10 request")
        }
        try self.init(owning: r)
    }

    /// `der` read by d2i_X509_REQ whole, never by the fast path: what the fast path must
    /// agree with (tests).
    static func parsedInFull(der: Data) throws -> CertificateSigningRequest {
        guard let r = DERBridge.decode(der, free: { X509_REQ_free($0) }, { p, n in d2i_X509_REQ(nil, p, n) }) else {
            throw OpenSSLError("parse CSR", detail: "not a DER PKCS#10 request")
        }
        return try CertificateSigningRequest(owning: r)
    }

    /// Accepts DER, PEM (`CERTIFICATE REQUEST` / `NEW CERTIFICATE REQUEST`) or base64 with
    /// any line wrapping (RFC 7030 §4.2.1 as clarified by RFC 8951 §3).
    public convenience init(anyEncoding data: Data) throws {
        guard let der = PEM.derFromAnyEncoding(data, labels: ["CERTIFICATE REQUEST", "NEW CERTIFICATE REQUEST"]) else {
            throw OpenSSLError("parse CSR", detail: "body is neither DER, PEM nor base64")
        }
        try self.init(der: der)
    }

    public var pem: String { PEM.encode(der, label: "CERTIFICATE REQUEST") }

    /// What in the request names an OID with an arc past 64 bits (read so that policy can
    /// refuse it by name, audited), nil when nothing does.
    public var oidWithArcPast64Bits: String? {
        if let oid = subject.attributeOIDs.first(where: { !$0.arcsFit64Bits }) { return "subject attribute type \(oid)" }
        if let a = attributes.first(where: { !$0.oid.arcsFit64Bits }) { return "attribute \(a.oid)" }
        if let e = requestedExtensions.first(where: { !$0.oid.arcsFit64Bits }) { return "requested extension \(e.oid)" }
        if !signatureAlgorithm.arcsFit64Bits { return "signature algorithm \(signatureAlgorithm)" }
        return nil
    }

    /// The attribute of type `oid`, nil when absent.
    public func attribute(_ oid: OID) -> Attribute? { attributes.first { $0.oid == oid } }

    /// The DER of the requested subjectAltName GeneralNames, nil when not requested.
    public var subjectAltNameDER: Data? { requestedExtensions.first { $0.oid == .subjectAltName }?.value }

    /// The GeneralName kinds in the requested subjectAltName (empty when none, or unreadable).
    public var subjectAltNameKinds: Set<GeneralNameKind> {
        guard let san = subjectAltNameDER else { return [] }
        return Set(GeneralNameKind.kinds(inGeneralNames: san) ?? [])
    }

    // MARK: - reading

    private static func readSignatureAlgorithm(_ req: OpaquePointer) throws -> OID {
        var alg: UnsafePointer<X509_ALGOR>?
        X509_REQ_get0_signature(req, nil, &alg)
        var obj: OpaquePointer?
        if let alg { X509_ALGOR_get0(&obj, nil, nil, alg) }
        guard let obj, let oid = OID(objectTextAnyArcs: obj) else { throw OpenSSLError("CSR signature algorithm") }
        return oid
    }

    private static func readAttributes(_ req: OpaquePointer) throws -> [Attribute] {
        try (0..<X509_REQ_get_attr_count(req)).map { i in
            guard let attr = X509_REQ_get_attr(req, i), let obj = X509_ATTRIBUTE_get0_object(attr),
                  let oid = OID(objectTextAnyArcs: obj) else { throw OpenSSLError("CSR attribute") }
            let values = try (0..<X509_ATTRIBUTE_count(attr)).map { j -> Data in
                guard let type = X509_ATTRIBUTE_get0_type(attr, j) else { throw OpenSSLError("CSR attribute value") }
                return try DERBridge.encode("i2d_ASN1_TYPE") { i2d_ASN1_TYPE(type, $0) }
            }
            return Attribute(oid: oid, values: values)
        }
    }

    private static func readExtensions(_ req: OpaquePointer) throws -> [RequestedExtension] {
        guard let exts = X509_REQ_get_extensions(req) else {
            OpenSSLError.drainQueue()  // none requested, or an unreadable extensionRequest
            return []
        }
        defer { estfcgi_sk_X509_EXTENSION_pop_free(exts) }
        return try (0..<estfcgi_sk_X509_EXTENSION_num(exts)).map { i in
            guard let ext = estfcgi_sk_X509_EXTENSION_value(exts, i), let obj = X509_EXTENSION_get_object(ext),
                  let oid = OID(objectTextAnyArcs: obj), let data = X509_EXTENSION_get_data(ext) else {
                throw OpenSSLError("CSR requested extension")
            }
            return RequestedExtension(oid: oid, critical: X509_EXTENSION_get_critical(ext) == 1,
                                      value: asn1Bytes(UnsafePointer(data)))
        }
    }
}
