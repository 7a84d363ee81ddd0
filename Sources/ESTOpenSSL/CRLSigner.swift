internal import COpenSSL
import Foundation

/// Signs v2 CRLs (RFC 5280 §5) with a CA key.
public enum CRLSigner {
    /// Builds and signs a complete (not delta) CRL: issuer = `issuer`'s subject, entries
    /// sorted by serial, cRLNumber and authorityKeyIdentifier (§5.2.1, §5.2.3). The digest
    /// follows the signing key (see KeyAlgorithm). Throws CRLError for a template, issuer
    /// or key that would give a CRL no relying party could use.
    public static func sign(_ t: CRLTemplate, issuer: Certificate, issuerKey: PrivateKey) throws -> CertificateRevocationList {
        try check(t, issuer: issuer, issuerKey: issuerKey)
        guard let crl = X509_CRL_new() else { throw OpenSSLError("X509_CRL_new") }
        defer { X509_CRL_free(crl) }
        try build(crl, t, issuer: issuer, issuerKey: issuerKey)
        return try CertificateRevocationList(der: DERBridge.encode("i2d_X509_CRL") { i2d_X509_CRL(crl, $0) })
    }

    private static func check(_ t: CRLTemplate, issuer: Certificate, issuerKey: PrivateKey) throws {
        guard t.number >= 1 else { throw CRLError("cRLNumber \(t.number): it must be at least 1") }
        guard try ASN1Time.seconds(t.nextUpdate) > ASN1Time.seconds(t.thisUpdate) else {
            throw CRLError("nextUpdate \(t.nextUpdate) is not after thisUpdate \(t.thisUpdate) (whole seconds)")
        }
        // §4.2.1.3: a relying party refuses a CRL whose issuer's keyUsage lacks cRLSign.
        if let usage = issuer.keyUsage, !usage.contains(.cRLSign) {
            throw CRLError("the issuer certificate \(issuer.subject) has no cRLSign keyUsage")
        }
        guard issuerKey.matches(issuer.publicKey) else {
            throw CRLError("the signing key is not the key of the issuer certificate \(issuer.subject)")
        }
        var seen = Set<Data>()
        for entry in t.entries {
            let serial = Data(entry.serial.drop { $0 == 0 })
            guard !serial.isEmpty else { throw CRLError("a revoked serial is zero or empty") }
            guard seen.insert(serial).inserted else { throw CRLError("serial \(serial.hexString) is listed twice") }
            if let reason = entry.reasonCode {
                switch reason {
                case 0...6, 9, 10: break
                case 7: throw CRLError("reasonCode 7 is not a CRLReason value (RFC 5280 §5.3.1)")
                case 8: throw CRLError("reasonCode 8, removeFromCRL, belongs only in delta CRLs (RFC 5280 §5.3.1)")
                default: throw CRLError("reasonCode \(reason) is outside 0...10 (RFC 5280 §5.3.1)")
                }
            }
        }
    }

    private static func build(_ crl: OpaquePointer, _ t: CRLTemplate, issuer: Certificate, issuerKey: PrivateKey) throws {
        guard X509_CRL_set_version(crl, 1) == 1 else { throw OpenSSLError("X509_CRL_set_version") }
        try issuer.subject.withName { name in
            guard X509_CRL_set_issuer_name(crl, name) == 1 else { throw OpenSSLError("X509_CRL_set_issuer_name") }
        }
        let thisUpdate = try ASN1Time.make(t.thisUpdate)
        defer { ASN1_TIME_free(thisUpdate) }
        let nextUpdate = try ASN1Time.make(t.nextUpdate)
        defer { ASN1_TIME_free(nextUpdate) }
        guard X509_CRL_set1_lastUpdate(crl, thisUpdate) == 1, X509_CRL_set1_nextUpdate(crl, nextUpdate) == 1 else {
            throw OpenSSLError("CRL update times")
        }
        for entry in t.entries {
            guard let revoked = X509_REVOKED_new() else { throw OpenSSLError("X509_REVOKED_new") }
            do {
                try fill(revoked, entry)
            } catch {
                X509_REVOKED_free(revoked)
                throw error
            }
            guard X509_CRL_add0_revoked(crl, revoked) == 1 else {
                X509_REVOKED_free(revoked)  // add0 takes it only on success
                throw OpenSSLError("X509_CRL_add0_revoked")
            }
        }
        guard X509_CRL_sort(crl) == 1 else { throw OpenSSLError("X509_CRL_sort") }

        guard let number = ASN1_INTEGER_new() else { throw OpenSSLError("ASN1_INTEGER_new") }
        defer { ASN1_INTEGER_free(number) }
        guard ASN1_INTEGER_set_int64(number, t.number) == 1,
              X509_CRL_add1_ext_i2d(crl, NID_crl_number, number, 0, 0) == 1 else {
            throw OpenSSLError("cRLNumber extension")
        }
        // AuthorityKeyIdentifier ::= SEQUENCE { keyIdentifier [0] IMPLICIT OCTET STRING }, the
        // issuer's subjectKeyIdentifier, or computed as CertificateSigner computes one (§4.2.1.2 method 1).
        let keyID = issuer.subjectKeyIdentifier ?? issuer.publicKey.keyIdentifier
        try addRaw(nid: NID_authority_key_identifier, DER.sequence([DER.tlv(0x80, keyID)]), to: crl)

        guard X509_CRL_sign(crl, issuerKey.pkey, issuerKey.algorithm.signingDigest) > 0 else {
            throw OpenSSLError("sign CRL")
        }
    }

    /// Serial, revocationDate and, unless absent or unspecified, the reasonCode (§5.3.1).
    private static func fill(_ revoked: OpaquePointer, _ entry: RevokedEntry) throws {
        guard let bn = BN_new() else { throw OpenSSLError("BN_new") }
        defer { BN_free(bn) }
        let serial = [UInt8](entry.serial)
        guard BN_bin2bn(serial, Int32(serial.count), bn) != nil,
              let asn1Serial = BN_to_ASN1_INTEGER(bn, nil) else { throw OpenSSLError("serial") }
        defer { ASN1_INTEGER_free(asn1Serial) }
        guard X509_REVOKED_set_serialNumber(revoked, asn1Serial) == 1 else {
            throw OpenSSLError("X509_REVOKED_set_serialNumber")
        }
        let date = try ASN1Time.make(entry.revokedAt)
        defer { ASN1_TIME_free(date) }
        guard X509_REVOKED_set_revocationDate(revoked, date) == 1 else {
            throw OpenSSLError("X509_REVOKED_set_revocationDate")
        }
        if let reason = entry.reasonCode, reason != 0 {
            guard let code = ASN1_ENUMERATED_new() else { throw OpenSSLError("ASN1_ENUMERATED_new") }
            defer { ASN1_ENUMERATED_free(code) }
            guard ASN1_ENUMERATED_set_int64(code, Int64(reason)) == 1,
                  X509_REVOKED_add1_ext_i2d(revoked, NID_crl_reason, code, 0, 0) == 1 else {
                throw OpenSSLError("reasonCode extension")
            }
        }
    }

    private static func addRaw(nid: Int32, _ der: Data, to crl: OpaquePointer) throws {
        try withRawExtension(nid: nid, der) { ext in
            guard X509_CRL_add_ext(crl, ext, -1) == 1 else { throw OpenSSLError("X509_CRL_add_ext") }
        }
    }
}
