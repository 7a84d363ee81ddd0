import COpenSSL
@testable import ESTOpenSSL
import Foundation

/// The oracle for CertificateSigner's encoding: a certificate built the way estfcgi built
/// them before it encoded TBSCertificates itself, through OpenSSL's X509 object, the
/// extensions from OpenSSL's config syntax, and X509_sign. CertificateDERTests holds the
/// two to the same bytes.
enum X509SignReference {
    static func sign(_ t: CertificateTemplate, issuer: Certificate?, issuerKey: PrivateKey) throws -> Certificate {
        guard let x = X509_new() else { throw OpenSSLError("X509_new") }
        defer { X509_free(x) }
        try build(x, t, issuer: issuer, issuerKey: issuerKey)
        // The built X509 holds its key undecoded (setPublicKey): read the certificate back.
        let length = i2d_X509(x, nil)
        var der = [UInt8](repeating: 0, count: Int(max(length, 0)))
        var p: UnsafeMutablePointer<UInt8>? = der.withUnsafeMutableBufferPointer { $0.baseAddress }
        guard length > 0, i2d_X509(x, &p) == length else { throw OpenSSLError("i2d_X509") }
        return try Certificate(der: Data(der))
    }

    static func build(_ x: OpaquePointer, _ t: CertificateTemplate, issuer: Certificate?,
                              issuerKey: PrivateKey) throws {
        guard X509_set_version(x, 2) == 1 else { throw OpenSSLError("X509_set_version") }

        guard let bn = BN_new() else { throw OpenSSLError("BN_new") }
        defer { BN_free(bn) }
        let serial = [UInt8](t.serial)
        guard BN_bin2bn(serial, Int32(serial.count), bn) != nil,
              let asn1Serial = BN_to_ASN1_INTEGER(bn, nil) else { throw OpenSSLError("serial") }
        defer { ASN1_INTEGER_free(asn1Serial) }
        guard X509_set_serialNumber(x, asn1Serial) == 1 else { throw OpenSSLError("X509_set_serialNumber") }

        try t.subject.withName { name in
            guard X509_set_subject_name(x, name) == 1 else { throw OpenSSLError("X509_set_subject_name") }
        }
        try (issuer?.subject ?? t.subject).withName { name in
            guard X509_set_issuer_name(x, name) == 1 else { throw OpenSSLError("X509_set_issuer_name") }
        }
        guard ASN1_TIME_set(X509_getm_notBefore(x), time_t(t.notBefore.timeIntervalSince1970)) != nil,
              ASN1_TIME_set(X509_getm_notAfter(x), time_t(t.notAfter.timeIntervalSince1970)) != nil else {
            throw OpenSSLError("validity")
        }
        try setPublicKey(x, t.publicKey)

        let issuerX509 = issuer?.x509 ?? x
        var basic = t.isCA ? "critical,CA:TRUE" : "critical,CA:FALSE"
        if t.isCA, let p = t.pathLength { basic += ",pathlen:\(p)" }
        try add(nid: NID_basic_constraints, basic, to: x, issuer: issuerX509)
        if !t.keyUsage.isEmpty {
            try add(nid: NID_key_usage, "critical," + t.keyUsage.configValue, to: x, issuer: issuerX509)
        }
        if !t.extendedKeyUsage.isEmpty {
            let value = t.extendedKeyUsage.map(\.oid.dotted).joined(separator: ",")
            try add(nid: NID_ext_key_usage, value, to: x, issuer: issuerX509)
        }
        // SKI before AKI: for a self-signed certificate the AKI is taken from its own SKI.
        try add(nid: NID_subject_key_identifier, "hash", to: x, issuer: issuerX509)
        try add(nid: NID_authority_key_identifier, "keyid:always", to: x, issuer: issuerX509)
        if let san = t.subjectAltNameDER {
            // RFC 5280 §4.2.1.6: critical when the subject is empty.
            try addRaw(nid: NID_subject_alt_name, san, critical: t.subject.isEmpty, to: x)
        }
        if !t.crlDistributionPoints.isEmpty {
            // Encoded here, not through OpenSSL's config syntax, where a ',' in a URI would
            // start another value.
            try addRaw(nid: NID_crl_distribution_points, try DistributionPointURI.extensionValue(t.crlDistributionPoints),
                       critical: false, to: x)
        }
        if !t.ocspURLs.isEmpty {
            // RFC 5280 §4.2.2.1: authorityInfoAccess MUST be non-critical.
            try addRaw(nid: NID_info_access, try OCSPURL.extensionValue(t.ocspURLs), critical: false, to: x)
        }
        if t.ocspNoCheck {
            // RFC 6960 §4.2.2.2.1: extnValue NULL.
            try addRaw(nid: NID_id_pkix_OCSP_noCheck, Data([0x05, 0x00]), critical: false, to: x)
        }

        guard X509_sign(x, issuerKey.pkey, issuerKey.algorithm.signingDigest) > 0 else {
            throw OpenSSLError("sign certificate")
        }
    }

    /// Copies the SubjectPublicKeyInfo as the CSR carried it. X509_set_pubkey would have
    /// OpenSSL 3 encode the key and decode it again, the costliest step of an issuance.
    static func setPublicKey(_ x: OpaquePointer, _ key: PublicKey) throws {
        guard let spki = DER.elements(key.spkiDER)?.first, let parts = DER.elements(spki.content), parts.count == 2,
              parts[1].tag == 0x03, parts[1].content.first == 0,
              let algorithm = DERBridge.decode(parts[0].encoded, free: { X509_ALGOR_free($0) },
                                               { p, n in d2i_X509_ALGOR(nil, p, n) }) else {
            throw OpenSSLError("SubjectPublicKeyInfo", detail: "malformed")
        }
        defer { X509_ALGOR_free(algorithm) }
        var oid: OpaquePointer? = nil
        var parameterType: Int32 = 0
        var parameter: UnsafeRawPointer? = nil
        X509_ALGOR_get0(&oid, &parameterType, &parameter, algorithm)
        // X509_PUBKEY_set0_param takes ownership: hand it copies.
        var parameterCopy: UnsafeMutableRawPointer? = nil
        switch parameterType {
        case V_ASN1_UNDEF, V_ASN1_NULL: break
        case V_ASN1_OBJECT: parameterCopy = UnsafeMutableRawPointer(OBJ_dup(OpaquePointer(parameter)))
        default: parameterCopy = ASN1_STRING_dup(parameter?.assumingMemoryBound(to: ASN1_STRING.self)).map { UnsafeMutableRawPointer($0) }
        }
        let bits = [UInt8](parts[1].content.dropFirst())
        guard let oidCopy = OBJ_dup(oid), parameterType == V_ASN1_UNDEF || parameterType == V_ASN1_NULL || parameterCopy != nil,
              let encoded = bits.withUnsafeBytes({ CRYPTO_memdup($0.baseAddress, max(1, $0.count), nil, 0) }) else {
            throw OpenSSLError("copy SubjectPublicKeyInfo")
        }
        guard X509_PUBKEY_set0_param(X509_get_X509_PUBKEY(x), oidCopy, parameterType, parameterCopy,
                                     encoded.assumingMemoryBound(to: UInt8.self), Int32(bits.count)) == 1 else {
            throw OpenSSLError("X509_PUBKEY_set0_param")
        }
    }

    static func add(nid: Int32, _ value: String, to x: OpaquePointer, issuer: OpaquePointer) throws {
        guard let ext = estfcgi_make_extension(issuer, x, nid, value) else {
            throw OpenSSLError("extension \(String(cString: OBJ_nid2sn(nid))) = \(value)")
        }
        defer { X509_EXTENSION_free(ext) }
        guard X509_add_ext(x, ext, -1) == 1 else { throw OpenSSLError("X509_add_ext") }
    }

    static func addRaw(nid: Int32, _ der: Data, critical: Bool, to x: OpaquePointer) throws {
        try withRawExtension(nid: nid, der, critical: critical) { ext in
            guard X509_add_ext(x, ext, -1) == 1 else { throw OpenSSLError("X509_add_ext") }
        }
    }
}
