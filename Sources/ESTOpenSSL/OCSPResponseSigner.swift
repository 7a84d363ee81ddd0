internal import COpenSSL
import Foundation

/// Signs successful OCSP responses (RFC 6960 §4.2) for the certificates of one CA.
///
/// The responder is either the CA itself or a delegated responder (RFC 6960 §4.2.2.2): a
/// certificate the CA issued directly, with id-kp-OCSPSigning in its extendedKeyUsage (see
/// `CertificateTemplate.ocspResponder`). The certificates are checked once, here; `sign` then
/// only builds and signs. Safe to share between threads.
public struct OCSPResponseSigner: Sendable {
    public let issuer: Certificate
    public let responder: Certificate
    private let responderKey: PrivateKey
    /// Whether responses carry the responder certificate (RFC 6960 §4.2.1 certs). A client
    /// needs it to verify a delegated responder's signature; for the CA itself it is usually left out.
    public let includesResponderCertificate: Bool
    /// The issuer as every CertID hash algorithm names it, computed once.
    private let issuerHashes: [OCSPHashAlgorithm: OCSPIssuerHash]

    /// Throws OCSPResponseError when the key is not the responder's, or the responder is
    /// neither `issuer` nor a certificate `issuer` signed with the OCSPSigning key purpose
    /// (and digitalSignature, when it has a keyUsage): a client would reject every response.
    /// Whether `issuer` itself is valid, or revoked, is the caller's to know.
    public init(issuer: Certificate, responder: Certificate, responderKey: PrivateKey,
                includesResponderCertificate: Bool? = nil) throws {
        guard responderKey.matches(responder.publicKey) else {
            throw OCSPResponseError("the signing key is not the key of the responder certificate \(responder.subject)")
        }
        // The CA itself, in this certificate or another with its name and key (a renewed CA
        // certificate): what clients compare with the CertID's hashes (RFC 6960 §4.2.2.2).
        let isIssuer = responder.subject.der == issuer.subject.der && responder.publicKey.spkiDER == issuer.publicKey.spkiDER
        if !isIssuer {
            guard responder.issuer == issuer.subject, responder.isSigned(by: issuer) else {
                throw OCSPResponseError("the responder certificate \(responder.subject) is not issued by \(issuer.subject) (RFC 6960 §4.2.2.2)")
            }
            let xku = X509_get_extended_key_usage(responder.x509)
            OpenSSLError.drainQueue()
            guard xku != UInt32.max, xku & UInt32(XKU_OCSP_SIGN) != 0 else {
                throw OCSPResponseError("the responder certificate \(responder.subject) lacks the id-kp-OCSPSigning key purpose (RFC 6960 §4.2.2.2)")
            }
            // A CA signing itself is not held to this: CAs with only keyCertSign and cRLSign
            // sign OCSP responses, and clients accept them (OpenSSL checks no keyUsage then).
            if let usage = responder.keyUsage, !usage.contains(.digitalSignature) {
                throw OCSPResponseError("the responder certificate \(responder.subject) has no digitalSignature keyUsage (RFC 5280 §4.2.1.3)")
            }
        }
        self.issuer = issuer
        self.responder = responder
        self.responderKey = responderKey
        self.includesResponderCertificate = includesResponderCertificate ?? !isIssuer
        issuerHashes = Dictionary(uniqueKeysWithValues: try OCSPIssuerHash.all(of: issuer).map { ($0.algorithm, $0) })
    }

    /// A complete DER OCSPResponse, status successful, holding a BasicOCSPResponse
    /// (RFC 6960 §4.2.1) with one SingleResponse per entry of `responses`, in order; the
    /// responderID byKey (RFC 6960 §4.2.2.3; RFC 5019 §2.2.2 prefers it); the nonce extension
    /// echoing `nonce` (RFC 9654 §2.1), when given; signed with the responder key, whose
    /// algorithm sets the digest (see KeyAlgorithm). producedAt is the signing time, as
    /// RFC 6960 §4.2.2.1 defines it (OpenSSL sets it).
    ///
    /// Throws OCSPResponseError for no response, a CertID of another CA, nextUpdate not after
    /// thisUpdate, a reason code that is not a CRLReason, a nonce outside 1...128 octets, or a
    /// responder certificate not valid now.
    public func sign(_ responses: [OCSPSingleResponse], nonce: Data? = nil) throws -> Data {
        try check(responses, nonce: nonce)
        guard let basic = OCSP_BASICRESP_new() else { throw OpenSSLError("OCSP_BASICRESP_new") }
        defer { OCSP_BASICRESP_free(basic) }
        for response in responses { try add(response, to: basic) }
        if let nonce {
            // OpenSSL wraps the octets in the Nonce OCTET STRING itself.
            // (OpenSSL copies them; the pointer lives only for the call.)
            let added = [UInt8](nonce).withUnsafeBufferPointer { buf in
                OCSP_basic_add1_nonce(basic, UnsafeMutablePointer(mutating: buf.baseAddress), Int32(buf.count))
            }
            guard added == 1 else {
                throw OpenSSLError("OCSP nonce extension")
            }
        }
        var flags = UInt(OCSP_RESPID_KEY)
        if !includesResponderCertificate { flags |= UInt(OCSP_NOCERTS) }
        guard OCSP_basic_sign(basic, responder.x509, responderKey.pkey, responderKey.algorithm.signingDigest, nil, flags) == 1 else {
            throw OpenSSLError("sign OCSP response")
        }
        guard let response = OCSP_response_create(Int32(OCSP_RESPONSE_STATUS_SUCCESSFUL), basic) else {
            throw OpenSSLError("OCSP_response_create")
        }
        defer { OCSP_RESPONSE_free(response) }
        return try DERBridge.encode("i2d_OCSP_RESPONSE") { i2d_OCSP_RESPONSE(response, $0) }
    }

    private func check(_ responses: [OCSPSingleResponse], nonce: Data?) throws {
        guard !responses.isEmpty else { throw OCSPResponseError("no SingleResponse to sign") }
        let now = Date()
        guard responder.notBefore <= now, now <= responder.notAfter else {
            throw OCSPResponseError("the responder certificate \(responder.subject) is not valid now (\(responder.notBefore) to \(responder.notAfter))")
        }
        if let nonce, !OCSPRequest.nonceLengths.contains(nonce.count) {
            throw OCSPResponseError("a nonce of \(nonce.count) octets (RFC 9654 §2.1: 1 to 128)")
        }
        for r in responses {
            guard issuerHashes[r.certID.hashAlgorithm] == r.certID.issuer else {
                throw OCSPResponseError("CertID \(r.certID) names another CA than \(issuer.subject)")
            }
            if let next = r.nextUpdate, try ASN1Time.seconds(next) <= ASN1Time.seconds(r.thisUpdate) {
                throw OCSPResponseError("nextUpdate \(next) is not after thisUpdate \(r.thisUpdate) (whole seconds)")
            }
            if case .revoked(_, let reason?) = r.status {
                switch reason {
                case 0...6, 9, 10: break
                case 7: throw OCSPResponseError("reasonCode 7 is not a CRLReason value (RFC 5280 §5.3.1)")
                case 8: throw OCSPResponseError("reasonCode 8, removeFromCRL, belongs only in delta CRLs (RFC 5280 §5.3.1)")
                default: throw OCSPResponseError("reasonCode \(reason) is outside 0...10 (RFC 5280 §5.3.1)")
                }
            }
        }
    }

    private func add(_ r: OCSPSingleResponse, to basic: OpaquePointer) throws {
        guard let cid = DERBridge.decode(r.certID.der, free: { OCSP_CERTID_free($0) }, { p, n in d2i_OCSP_CERTID(nil, p, n) }) else {
            throw OpenSSLError("CertID", detail: "the CertID DER does not parse")
        }
        defer { OCSP_CERTID_free(cid) }
        let thisUpdate = try ASN1Time.make(r.thisUpdate)
        defer { ASN1_TIME_free(thisUpdate) }
        let nextUpdate = try r.nextUpdate.map { try ASN1Time.make($0) }
        defer { if let nextUpdate { ASN1_TIME_free(nextUpdate) } }
        let status: Int32
        var reason = Int32(OCSP_REVOKED_STATUS_NOSTATUS)
        var revokedAt: UnsafeMutablePointer<ASN1_TIME>? = nil
        defer { if let revokedAt { ASN1_TIME_free(revokedAt) } }
        switch r.status {
        case .good: status = Int32(V_OCSP_CERTSTATUS_GOOD)
        case .unknown: status = Int32(V_OCSP_CERTSTATUS_UNKNOWN)
        case .revoked(let at, let code):
            status = Int32(V_OCSP_CERTSTATUS_REVOKED)
            revokedAt = try ASN1Time.make(at)
            if let code, code != 0 { reason = Int32(code) }  // 0, unspecified: no reason, as in the CRL
        }
        // OpenSSL converts the times to the GeneralizedTime RFC 6960 §4.2.1 requires.
        guard OCSP_basic_add1_status(basic, cid, status, reason, revokedAt, thisUpdate, nextUpdate) != nil else {
            throw OpenSSLError("OCSP_basic_add1_status")
        }
    }
}
