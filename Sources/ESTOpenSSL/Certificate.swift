import COpenSSL
import Foundation

/// An X.509 certificate (RFC 5280). Immutable once parsed or built.
public final class Certificate: @unchecked Sendable, CustomStringConvertible {
    let x509: OpaquePointer

    /// Takes ownership of `x509`.
    init(owning x509: OpaquePointer) { self.x509 = x509 }

    deinit { X509_free(x509) }

    public convenience init(der: Data) throws {
        guard let x = derDecode(der, { p, n in d2i_X509(nil, p, n) }) else {
            throw OpenSSLError("parse certificate", detail: "not a DER X.509 certificate")
        }
        self.init(owning: x)
    }

    /// The first certificate of a PEM text.
    public convenience init(pem: String) throws {
        guard let der = PEM.blocks(in: pem, labels: ["CERTIFICATE", "X509 CERTIFICATE", "TRUSTED CERTIFICATE"]).first else {
            throw OpenSSLError("parse certificate", detail: "no PEM CERTIFICATE block")
        }
        try self.init(der: der)
    }

    /// Every certificate of a PEM text, in order.
    public static func all(fromPEM pem: String) throws -> [Certificate] {
        try PEM.blocks(in: pem, labels: ["CERTIFICATE", "X509 CERTIFICATE"]).map { try Certificate(der: $0) }
    }

    public var der: Data { (try? derEncode("i2d_X509") { i2d_X509(x509, $0) }) ?? Data() }
    public var pem: String { PEM.encode(der, label: "CERTIFICATE") }

    public var subject: DistinguishedName { DistinguishedName(copying: X509_get_subject_name(x509)) }
    public var issuer: DistinguishedName { DistinguishedName(copying: X509_get_issuer_name(x509)) }

    /// The serial as lowercase hex without leading zeros.
    public var serialHex: String {
        guard let bn = ASN1_INTEGER_to_BN(X509_get_serialNumber(x509), nil) else { return "" }
        defer { BN_free(bn) }
        return bignumHex(bn)
    }

    public var notBefore: Date { asn1TimeToDate(X509_getm_notBefore(x509)) }
    public var notAfter: Date { asn1TimeToDate(X509_getm_notAfter(x509)) }

    public var publicKey: PublicKey { PublicKey(owning: X509_get_pubkey(x509)) }

    /// basicConstraints cA (RFC 5280 §4.2.1.9).
    public var isCA: Bool { X509_check_ca(x509) == 1 }

    /// pathLenConstraint, nil when absent.
    public var pathLength: Int? {
        let n = X509_get_pathlen(x509)
        return n < 0 ? nil : Int(n)
    }

    public var subjectKeyIdentifier: Data? { octets(X509_get0_subject_key_id(x509)) }
    public var authorityKeyIdentifier: Data? { octets(X509_get0_authority_key_id(x509)) }

    /// SHA-256 over the DER.
    public var fingerprint: Data { Digest.sha256(der) }

    /// The DER of the subjectAltName extension value (the GeneralNames), nil when absent.
    public var subjectAltNameDER: Data? { extensionValue(NID_subject_alt_name) }

    /// OpenSSL's text for the subjectAltName (`DNS:a, IP Address:1.2.3.4`), "" when absent.
    public var subjectAltNameText: String { extensionText(NID_subject_alt_name) }
    public var keyUsageText: String { extensionText(NID_key_usage) }

    /// True when `issuer`'s key verifies this certificate's signature.
    public func isSigned(by issuer: Certificate) -> Bool {
        guard let key = X509_get0_pubkey(issuer.x509) else { return false }
        let ok = X509_verify(x509, key) == 1
        _ = OpenSSLError.drainQueue()
        return ok
    }

    public var isSelfIssued: Bool { subject == issuer }

    public var description: String { "\(subject) (serial \(serialHex))" }

    // MARK: - helpers

    private func extension_(_ nid: Int32) -> OpaquePointer? {
        let idx = X509_get_ext_by_NID(x509, nid, -1)
        return idx < 0 ? nil : X509_get_ext(x509, idx)
    }

    private func extensionValue(_ nid: Int32) -> Data? {
        guard let ext = extension_(nid), let data = X509_EXTENSION_get_data(ext) else { return nil }
        return asn1StringBytes(UnsafePointer(data))
    }

    private func extensionText(_ nid: Int32) -> String {
        guard let ext = extension_(nid), let bio = try? MemoryBIO() else { return "" }
        guard X509V3_EXT_print(bio.bio, ext, 0, 0) == 1 else { return "" }
        return bio.string
    }
}

func octets(_ s: UnsafePointer<ASN1_OCTET_STRING>?) -> Data? {
    guard let s else { return nil }
    return asn1StringBytes(s)
}

func asn1StringBytes(_ s: UnsafePointer<ASN1_STRING>) -> Data {
    let n = ASN1_STRING_length(s)
    guard n > 0, let p = ASN1_STRING_get0_data(s) else { return Data() }
    return Data(bytes: p, count: Int(n))
}

func asn1TimeToDate(_ t: UnsafePointer<ASN1_TIME>?) -> Date {
    guard let t else { return Date(timeIntervalSince1970: 0) }
    var parts = tm()
    guard ASN1_TIME_to_tm(t, &parts) == 1 else { return Date(timeIntervalSince1970: 0) }
    return Date(timeIntervalSince1970: TimeInterval(timegm(&parts)))
}

func bignumHex(_ bn: OpaquePointer) -> String {
    guard let hex = BN_bn2hex(bn) else { return "" }
    defer { estfcgi_OPENSSL_free(hex) }
    var s = String(cString: hex).lowercased()
    while s.hasPrefix("0") && s.count > 1 { s.removeFirst() }
    return s
}
