internal import COpenSSL
import Foundation

/// An X.509 certificate (RFC 5280). Immutable; every field estfcgi uses is read once,
/// when the certificate is parsed or built, so no getter can fail or fall back.
public final class Certificate: @unchecked Sendable, Hashable, CustomStringConvertible {
    /// The X509 parsed when the certificate was read; nil for one built and signed here,
    /// whose fields are known from what it was built with (`init(signed:...)`), and whose
    /// X509 is parsed from `der` only when an OpenSSL operation needs it (`x509`).
    private let readX509: OpaquePointer?
    private let parseLock = NSLock()
    private var parsedX509: OpaquePointer?
    public let der: Data
    public let subject: DistinguishedName
    public let issuer: DistinguishedName
    /// The serial as lowercase hex without leading zeros.
    public let serialHex: String
    public let notBefore: Date
    public let notAfter: Date
    public let publicKey: PublicKey
    /// basicConstraints cA (RFC 5280 §4.2.1.9).
    public let isCA: Bool
    /// pathLenConstraint, nil when absent.
    public let pathLength: Int?
    /// keyUsage bits (RFC 5280 §4.2.1.3), nil when the extension is absent.
    public let keyUsage: KeyUsage?
    /// True when the certificate may authenticate a TLS client: no extendedKeyUsage, or
    /// one with clientAuth or anyExtendedKeyUsage (RFC 5280 §4.2.1.12).
    public let allowsClientAuth: Bool
    public let subjectKeyIdentifier: Data?
    public let authorityKeyIdentifier: Data?
    /// SHA-256 over the DER.
    public let fingerprint: Data
    /// The DER of the subjectAltName extension value (the GeneralNames), nil when absent.
    public let subjectAltNameDER: Data?
    /// OpenSSL's text for the subjectAltName (`DNS:a, IP Address:1.2.3.4`), "" when absent.
    public let subjectAltNameText: String

    /// Takes ownership of `x509`, also when reading it fails.
    init(owning x509: OpaquePointer) throws {
        readX509 = x509
        do {
            der = try DERBridge.encode("i2d_X509") { i2d_X509(x509, $0) }
            guard let s = X509_get_subject_name(x509), let i = X509_get_issuer_name(x509) else {
                throw OpenSSLError("certificate names")
            }
            subject = try DistinguishedName(reading: s)
            issuer = try DistinguishedName(reading: i)
            guard let bn = ASN1_INTEGER_to_BN(X509_get_serialNumber(x509), nil) else { throw OpenSSLError("serial") }
            defer { BN_free(bn) }
            serialHex = try Certificate.hex(bn)
            notBefore = try Certificate.date(X509_getm_notBefore(x509))
            notAfter = try Certificate.date(X509_getm_notAfter(x509))
            guard let key = X509_get_pubkey(x509) else {
                throw OpenSSLError("certificate public key", detail: "the key cannot be decoded")
            }
            publicKey = try PublicKey(owning: key, spki: X509_get_X509_PUBKEY(x509))
            isCA = X509_check_ca(x509) == 1
            let pathLen = X509_get_pathlen(x509)
            pathLength = pathLen < 0 ? nil : Int(pathLen)
            let ku = X509_get_key_usage(x509)  // computes the cached extension flags
            keyUsage = ku == UInt32.max ? nil : KeyUsage(rawValue: ku)
            let xku = X509_get_extended_key_usage(x509)
            allowsClientAuth = xku == UInt32.max || xku & UInt32(XKU_SSL_CLIENT | XKU_ANYEKU) != 0
            subjectKeyIdentifier = X509_get0_subject_key_id(x509).map(asn1Bytes)
            authorityKeyIdentifier = X509_get0_authority_key_id(x509).map(asn1Bytes)
            fingerprint = Digest.sha256(der)
            let sanIndex = X509_get_ext_by_NID(x509, NID_subject_alt_name, -1)
            if sanIndex >= 0 {
                guard let ext = X509_get_ext(x509, sanIndex), let data = X509_EXTENSION_get_data(ext) else {
                    throw OpenSSLError("subjectAltName")
                }
                subjectAltNameDER = asn1Bytes(UnsafePointer(data))
                subjectAltNameText = try Certificate.text(ext)
            } else {
                subjectAltNameDER = nil
                subjectAltNameText = ""
            }
            OpenSSLError.drainQueue()
        } catch {
            X509_free(x509)
            throw error
        }
    }

    /// A certificate just signed here (CertificateSigner): every field is what `t` and the
    /// issuer gave the DER (BuiltCertificateTests reads them back from it), so nothing is
    /// parsed; X509_check_ca's, X509_get_pathlen's and X509_get_key_usage's answers follow
    /// from the extensions CertificateTemplate writes.
    init(signed der: Data, template t: CertificateTemplate, issuer: DistinguishedName, authorityKeyIdentifier: Data) throws {
        readX509 = nil
        self.der = der
        subject = t.subject
        self.issuer = issuer
        let serial = CertificateTemplate.integerContent(t.serial).hexString.drop { $0 == "0" }
        serialHex = serial.isEmpty ? "0" : String(serial)
        notBefore = Date(timeIntervalSince1970: TimeInterval(try ASN1Time.seconds(t.notBefore)))
        notAfter = Date(timeIntervalSince1970: TimeInterval(try ASN1Time.seconds(t.notAfter)))
        publicKey = t.publicKey
        // X509_check_ca: cA TRUE, and keyUsage (when present) with keyCertSign.
        isCA = t.isCA && (t.keyUsage.isEmpty || t.keyUsage.contains(.keyCertSign))
        pathLength = t.isCA ? t.pathLength : nil
        keyUsage = t.keyUsage.isEmpty ? nil : t.keyUsage
        allowsClientAuth = t.extendedKeyUsage.isEmpty
            || t.extendedKeyUsage.contains { $0.oid == .clientAuth || $0.oid == .anyExtendedKeyUsage }
        subjectKeyIdentifier = t.publicKey.keyIdentifier
        self.authorityKeyIdentifier = authorityKeyIdentifier
        fingerprint = Digest.sha256(der)
        subjectAltNameDER = t.subjectAltNameDER
        if let san = t.subjectAltNameDER {
            subjectAltNameText = try Certificate.text(subjectAltName: san)
        } else {
            subjectAltNameText = ""
        }
    }

    deinit {
        if let readX509 { X509_free(readX509) }
        if let parsedX509 { X509_free(parsedX509) }
    }

    /// The X509, for OpenSSL operations: as read, or for a certificate built here parsed
    /// from `der` once, on first use.
    var x509: OpaquePointer {
        if let readX509 { return readX509 }
        return parseLock.withLock {
            if let parsedX509 { return parsedX509 }
            // The DER was encoded and signed here, of parts OpenSSL parsed before: only
            // memory exhaustion makes this fail.
            guard let x = DERBridge.decode(der, free: { X509_free($0) }, { p, n in d2i_X509(nil, p, n) }) else {
                fatalError("estfcgi: a certificate built here does not parse")
            }
            parsedX509 = x
            return x
        }
    }

    public convenience init(der: Data) throws {
        guard let x = DERBridge.decode(der, free: { X509_free($0) }, { p, n in d2i_X509(nil, p, n) }) else {
            throw OpenSSLError("parse certificate", detail: "not a DER X.509 certificate")
        }
        try self.init(owning: x)
    }

    /// The first certificate of a PEM text.
    public convenience init(pem: String) throws {
        guard let der = PEM.blocks(in: pem, labels: PEM.certificateLabels).first else {
            throw OpenSSLError("parse certificate", detail: "no PEM CERTIFICATE block")
        }
        try self.init(der: der)
    }

    /// Every certificate of a PEM text, in order.
    public static func all(fromPEM pem: String) throws -> [Certificate] {
        try PEM.blocks(in: pem, labels: PEM.certificateLabels).map { try Certificate(der: $0) }
    }

    public var pem: String { PEM.encode(der, label: "CERTIFICATE") }

    /// True when `issuer`'s key verifies this certificate's signature.
    public func isSigned(by issuer: Certificate) -> Bool {
        let ok = X509_verify(x509, issuer.publicKey.pkey) == 1
        OpenSSLError.drainQueue()
        return ok
    }

    public var isSelfIssued: Bool { subject == issuer }

    /// SHA-256 over the issuer Name and the serial: names this certificate however its
    /// signature is encoded (an ECDSA signature (r, s) is as valid as (r, n - s), and the
    /// fingerprint differs), so counts, limits and denials keyed by it cannot be dodged.
    public var issuerAndSerialDigest: Data { Digest.sha256(issuer.der + Data(serialHex.utf8)) }

    public var description: String { "\(subject) (serial \(serialHex))" }

    public static func == (a: Certificate, b: Certificate) -> Bool { a.der == b.der }
    public func hash(into h: inout Hasher) { h.combine(fingerprint) }

    // MARK: - reading ASN.1 values

    private static func date(_ t: UnsafePointer<ASN1_TIME>?) throws -> Date {
        var parts = tm()
        guard let t, ASN1_TIME_to_tm(t, &parts) == 1 else { throw OpenSSLError("certificate validity time") }
        return Date(timeIntervalSince1970: TimeInterval(timegm(&parts)))
    }

    /// OpenSSL's text for a subjectAltName extension (`DNS:a, IP Address:1.2.3.4`).
    private static func text(_ ext: OpaquePointer) throws -> String {
        let bio = try MemoryBIO()
        guard X509V3_EXT_print(bio.bio, ext, 0, 0) == 1 else { throw OpenSSLError("print subjectAltName") }
        return bio.string
    }

    static func text(subjectAltName der: Data) throws -> String {
        try withRawExtension(nid: NID_subject_alt_name, der) { try text($0) }
    }

    private static func hex(_ bn: OpaquePointer) throws -> String {
        guard let hex = BN_bn2hex(bn) else { throw OpenSSLError("BN_bn2hex") }
        defer { estfcgi_OPENSSL_free(hex) }
        var s = Substring(String(cString: hex).lowercased())
        while s.hasPrefix("0") && s.count > 1 { s = s.dropFirst() }
        return String(s)
    }
}

func asn1Bytes(_ s: UnsafePointer<ASN1_STRING>) -> Data {
    let n = ASN1_STRING_length(s)
    guard n > 0, let p = ASN1_STRING_get0_data(s) else { return Data() }
    return Data(bytes: p, count: Int(n))
}
