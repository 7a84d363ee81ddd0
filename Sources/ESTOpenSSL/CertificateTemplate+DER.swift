import Foundation

/// RFC 5280 §4.1: a template's TBSCertificate, encoded here from DER that is already at hand
/// (the names, the key, the extension values) rather than through OpenSSL's X509 object,
/// whose building, copying and re-encoding cost more than the signature (bench/run
/// --instructions). The bytes are the ones X509_sign gave for the same template with the
/// extensions OpenSSL's config syntax made ("critical,CA:FALSE", "hash", "keyid:always"):
/// CertificateDERTests compares the two byte for byte.
extension CertificateTemplate {
    /// The parts of the TBSCertificate the issuer decides.
    struct Issuance {
        /// The issuer's Name DER, as its certificate carries it (§4.1.2.4).
        let issuerName: Data
        /// The authorityKeyIdentifier keyIdentifier (§4.2.1.1): the issuer's subjectKeyIdentifier.
        let authorityKeyIdentifier: Data
        /// The signature AlgorithmIdentifier DER (§4.1.2.3), the same as the certificate's.
        let signatureAlgorithm: Data
    }

    /// TBSCertificate ::= SEQUENCE { version [0] v3, serialNumber, signature, issuer,
    /// validity, subject, subjectPublicKeyInfo, extensions [3] }.
    func tbsDER(_ issuance: Issuance) throws -> Data {
        let spki = try Self.spkiParts(publicKey.spkiDER)
        let validity = (try Self.time(notBefore), try Self.time(notAfter))
        var w = DERWriter()
        try w.element(0x30) { w in
            w.append([0xa0, 0x03, 0x02, 0x01, 0x02])
            w.element(0x02, content: Self.integerContent(serial))
            w.append(issuance.signatureAlgorithm)
            w.append(issuance.issuerName)
            w.element(0x30) { w in
                w.append(validity.0)
                w.append(validity.1)
            }
            w.append(subject.der)
            // Re-headed with minimal lengths (a CSR's key read on the fast path keeps its bytes).
            w.element(0x30) { w in
                w.element(0x30, content: spki.algorithm)
                w.element(0x03, content: spki.key)
            }
            try w.element(0xa3) { w in
                try w.element(0x30) { w in try writeExtensions(&w, authorityKeyIdentifier: issuance.authorityKeyIdentifier) }
            }
        }
        return Data(w.bytes)
    }

    /// The extensions in the order CertificateSigner has always added them.
    private func writeExtensions(_ w: inout DERWriter, authorityKeyIdentifier: Data) throws {
        // §4.2.1.9 basicConstraints, critical; cA FALSE is the DEFAULT, so absent in DER.
        if isCA, let pathLength, pathLength < 0 {
            throw OpenSSLError("basicConstraints", detail: "negative pathLenConstraint \(pathLength)")
        }
        Self.extension(&w, Self.basicConstraintsOID, critical: true) { w in
            w.element(0x30) { w in
                guard isCA else { return }
                w.append([0x01, 0x01, 0xff])
                if let pathLength { w.append(DER.integer(pathLength)) }
            }
        }
        // §4.2.1.3 keyUsage, critical: a BIT STRING without its trailing zero bits (X.690 §11.2.2).
        let bits = UInt8(truncatingIfNeeded: keyUsage.rawValue)
        if bits != 0 {
            Self.extension(&w, Self.keyUsageOID, critical: true) { $0.element(0x03, content: [UInt8(bits.trailingZeroBitCount), bits]) }
        }
        if !extendedKeyUsage.isEmpty {
            Self.extension(&w, Self.extendedKeyUsageOID, critical: false) { w in
                w.element(0x30) { w in for usage in extendedKeyUsage { w.append(usage.oid.der) } }
            }
        }
        // §4.2.1.2 method 1, OpenSSL's "hash".
        Self.extension(&w, Self.subjectKeyIdentifierOID, critical: false) { $0.element(0x04, content: publicKey.keyIdentifier) }
        // AuthorityKeyIdentifier ::= SEQUENCE { keyIdentifier [0] IMPLICIT OCTET STRING }
        Self.extension(&w, Self.authorityKeyIdentifierOID, critical: false) { w in
            w.element(0x30) { $0.element(0x80, content: authorityKeyIdentifier) }
        }
        if let san = subjectAltNameDER {
            // §4.2.1.6: critical when the subject is empty.
            Self.extension(&w, Self.subjectAltNameOID, critical: subject.isEmpty) { $0.append(san) }
        }
        if !crlDistributionPoints.isEmpty {
            let value = try DistributionPointURI.extensionValue(crlDistributionPoints)
            Self.extension(&w, Self.crlDistributionPointsOID, critical: false) { $0.append(value) }
        }
        if !ocspURLs.isEmpty {
            // §4.2.2.1: authorityInfoAccess MUST be non-critical.
            let value = try OCSPURL.extensionValue(ocspURLs)
            Self.extension(&w, Self.authorityInfoAccessOID, critical: false) { $0.append(value) }
        }
        if ocspNoCheck {
            // RFC 6960 §4.2.2.2.1: extnValue NULL.
            Self.extension(&w, Self.ocspNoCheckOID, critical: false) { $0.append([0x05, 0x00]) }
        }
    }

    /// Extension ::= SEQUENCE { extnID, critical BOOLEAN DEFAULT FALSE, extnValue OCTET STRING }
    private static func `extension`(_ w: inout DERWriter, _ oid: Data, critical: Bool, _ value: (inout DERWriter) -> Void) {
        w.element(0x30) { w in
            w.append(oid)
            if critical { w.append([0x01, 0x01, 0xff]) }
            w.element(0x04, value)
        }
    }

    // The extensions' OIDs, encoded once (OID.der encodes on each call).
    static let basicConstraintsOID = OID.basicConstraints.der
    static let keyUsageOID = OID.keyUsage.der
    static let extendedKeyUsageOID = OID.extendedKeyUsage.der
    static let subjectKeyIdentifierOID = OID.subjectKeyIdentifier.der
    static let authorityKeyIdentifierOID = OID.authorityKeyIdentifier.der
    static let subjectAltNameOID = OID.subjectAltName.der
    static let crlDistributionPointsOID = OID.crlDistributionPoints.der
    static let authorityInfoAccessOID = OID.authorityInfoAccess.der
    static let ocspNoCheckOID = OID.ocspNoCheck.der

    /// A non-negative INTEGER's content from big-endian magnitude bytes: no leading zero
    /// octets, one 0x00 before a high bit (X.690 §8.3.2), as BN_to_ASN1_INTEGER gives.
    static func integerContent(_ magnitude: Data) -> Data {
        let trimmed = magnitude.drop { $0 == 0 }
        guard let first = trimmed.first else { return Data([0]) }
        return first & 0x80 != 0 ? Data([0]) + trimmed : Data(trimmed)
    }

    /// §4.1.2.5: UTCTime for the years 1950 through 2049, GeneralizedTime otherwise, in
    /// whole seconds with a Z, as ASN1_TIME_set writes them.
    static func time(_ date: Date) throws -> [UInt8] {
        var t = try ASN1Time.seconds(date)
        var parts = tm()
        guard gmtime_r(&t, &parts) != nil else { throw OpenSSLError("time", detail: "\(date) has no calendar date") }
        let year = Int(parts.tm_year) + 1900
        func two(_ v: Int32) -> [UInt8] { [UInt8(48 + v / 10), UInt8(48 + v % 10)] }
        var text: [UInt8] = []
        let utc = (1950...2049).contains(year)
        if utc {
            text += two(Int32(year % 100))
        } else {
            text += two(Int32(year / 100)) + two(Int32(year % 100))
        }
        text += two(parts.tm_mon + 1) + two(parts.tm_mday) + two(parts.tm_hour) + two(parts.tm_min) + two(parts.tm_sec)
        text.append(UInt8(ascii: "Z"))
        return [utc ? 0x17 : 0x18, UInt8(text.count)] + text
    }

    /// SubjectPublicKeyInfo ::= SEQUENCE { algorithm AlgorithmIdentifier, subjectPublicKey BIT STRING }:
    /// the two contents.
    static func spkiParts(_ spki: Data) throws -> (algorithm: Data, key: Data) {
        guard let outer = DER.elements(spki), outer.count == 1, outer[0].tag == 0x30,
              let parts = DER.elements(outer[0].content), parts.count == 2, parts[0].tag == 0x30, parts[1].tag == 0x03 else {
            throw OpenSSLError("SubjectPublicKeyInfo", detail: "malformed")
        }
        return (parts[0].content, parts[1].content)
    }
}
