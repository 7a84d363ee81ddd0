internal import COpenSSL
import Foundation

/// The common case read without OpenSSL 3.0's key decoder: a CSR with an EC key on a named
/// curve, signed with ECDSA. `d2i_X509_REQ` sets up a SubjectPublicKeyInfo decoder for
/// every key it meets (OSSL_DECODER_CTX_new_for_pkey), which cost about 0.15 ms per CSR
/// here, more than checking its signature (bench/run --profile). Here the key is built
/// from its curve and point (the curve copied from a template made once, ECCurveTemplate;
/// the point checked on the curve), the signature is checked over the
/// CertificationRequestInfo exactly as received (as X509_REQ_verify does), and OpenSSL
/// parses the subject and each attribute (with the
/// requested extensions) with the same d2i functions the full parse uses, into a request
/// that has no key. Anything else, or anything this reading does not like, takes the full
/// parse, which decides.
extension CertificateSigningRequest {
    /// RFC 5758 §3.2 ECDSA signature algorithms (parameters absent), by their OID's DER,
    /// with their digest.
    nonisolated(unsafe) private static let ecdsaDigests: [Data: (digest: OpaquePointer?, oid: OID)] = Dictionary(uniqueKeysWithValues: [
        ("1.2.840.10045.4.3.1", Digest.fetchedSHA224), ("1.2.840.10045.4.3.2", Digest.fetchedSHA256),
        ("1.2.840.10045.4.3.3", Digest.fetchedSHA384), ("1.2.840.10045.4.3.4", Digest.fetchedSHA512),
    ].map { dotted, digest in (OID(dotted)!.der, (digest, OID(dotted)!)) })
    private static let idEcPublicKey = OID("1.2.840.10045.2.1")!.der

    /// The parts of `der` the fast path needs, or nil when it is not that common case in
    /// canonical DER. RFC 2986 §4: CertificationRequest ::= SEQUENCE { certificationRequestInfo,
    /// signatureAlgorithm, signature BIT STRING }; CertificationRequestInfo ::= SEQUENCE {
    /// version INTEGER (v1 = 0), subject, subjectPKInfo, attributes [0] }.
    static func fastParts(_ der: Data) -> (subject: Data, attributes: [Data], spki: Data, curve: ECCurveTemplate, point: Data,
                                           tbs: Data, digest: OpaquePointer?, signatureAlgorithm: OID, signature: Data)? {
        guard let top = DER.elements(der), top.count == 1, top[0].tag == 0x30,
              let parts = DER.elements(top[0].content), parts.count == 3,
              parts[0].tag == 0x30, parts[1].tag == 0x30, parts[2].tag == 0x03,
              top[0].hasMinimalLength,  // and nothing after it: top.count == 1
              let info = DER.elements(parts[0].content), info.count == 4,
              info[0].encoded == Data([0x02, 0x01, 0x00]), info[1].tag == 0x30, info[2].tag == 0x30, info[3].tag == 0xa0,
              parts[0].hasMinimalLength, info[3].hasMinimalLength,
              let attributes = DER.elements(info[3].content), attributes.allSatisfy({ $0.tag == 0x30 }),
              let spki = DER.elements(info[2].content), spki.count == 2, spki[0].tag == 0x30, spki[1].tag == 0x03,
              let algorithm = DER.elements(spki[0].content), algorithm.count == 2,
              algorithm[0].encoded == idEcPublicKey, let curve = ECCurveTemplate.named(oidDER: algorithm[1].encoded),
              spki[1].content.count > 1, spki[1].content.first == 0,
              let signatureAlgorithm = DER.elements(parts[1].content), signatureAlgorithm.count == 1,
              let (digest, sigOID) = ecdsaDigests[signatureAlgorithm[0].encoded],
              parts[2].content.count > 1, parts[2].content.first == 0 else { return nil }
        return (info[1].encoded, attributes.map(\.encoded), info[2].encoded, curve, Data(spki[1].content.dropFirst()),
                parts[0].encoded, digest, sigOID, Data(parts[2].content.dropFirst()))
    }

    /// `subject` as d2i_X509_NAME reads it, and a request holding `attributes` as
    /// d2i_X509_ATTRIBUTE reads them (what the full parse does inside d2i_X509_REQ) and
    /// neither subject nor key; nil when one does not parse. The caller owns the request.
    static func fastRequest(subject: Data, attributes: [Data]) -> (OpaquePointer, DistinguishedName)? {
        guard let name = DERBridge.decode(subject, free: { X509_NAME_free($0) }, { p, n in d2i_X509_NAME(nil, p, n) }),
              let subject = try? DistinguishedName(taking: name) else { return nil }
        guard let req = X509_REQ_new() else { return nil }
        for der in attributes {
            guard let attribute = DERBridge.decode(der, free: { X509_ATTRIBUTE_free($0) }, { p, n in d2i_X509_ATTRIBUTE(nil, p, n) }) else {
                X509_REQ_free(req)
                return nil
            }
            defer { X509_ATTRIBUTE_free(attribute) }
            guard X509_REQ_add1_attr(req, attribute) == 1 else {
                X509_REQ_free(req)
                return nil
            }
        }
        return (req, subject)
    }

    /// The key and the signature's verdict of the fast path; nil when the key is refused
    /// (e.g. a point not on the curve), which the full parse then reports.
    static func fastKeyAndSignature(curve template: ECCurveTemplate, point: Data, spki: Data, tbs: Data, digest: OpaquePointer?,
                                    signature: Data) -> (PublicKey, Bool)? {
        let pkey = point.withUnsafeBytes { p -> OpaquePointer? in
            guard let base = p.bindMemory(to: UInt8.self).baseAddress else { return nil }
            return estfcgi_ec_public_key(template.pkey, base, p.count)
        }
        guard let pkey, let key = try? PublicKey(owning: pkey, spkiDER: spki) else {
            OpenSSLError.drainQueue()
            return nil
        }
        let valid = tbs.withUnsafeBytes { t in
            signature.withUnsafeBytes { s in
                guard let tb = t.bindMemory(to: UInt8.self).baseAddress, let sb = s.bindMemory(to: UInt8.self).baseAddress else { return false }
                return estfcgi_digest_verify(key.pkey, digest, tb, t.count, sb, s.count) == 1
            }
        }
        OpenSSLError.drainQueue()
        return (key, valid)
    }
}
