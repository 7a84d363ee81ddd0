internal import COpenSSL
import Foundation

/// One certificate an OCSP request asks about (RFC 6960 §4.1.1):
///
///     CertID ::= SEQUENCE { hashAlgorithm AlgorithmIdentifier, issuerNameHash OCTET STRING,
///                           issuerKeyHash OCTET STRING, serialNumber CertificateSerialNumber }
public struct OCSPCertID: Hashable, Sendable, CustomStringConvertible {
    /// The issuer: hash algorithm, issuerNameHash and issuerKeyHash.
    public let issuer: OCSPIssuerHash
    /// The serial in `Certificate.serialHex`'s form: lowercase hex without leading zeros
    /// ("0" for zero; a negative serial, which RFC 5280 §4.1.2.2 forbids, starts with "-").
    public let serialHex: String
    /// The CertID as the request encoded it: a response repeats it as it was asked
    /// (RFC 6960 §4.2.1 SingleResponse.certID), so a client comparing bytes finds its own.
    public let der: Data

    public var hashAlgorithm: OCSPHashAlgorithm { issuer.algorithm }
    public var issuerNameHash: Data { issuer.nameHash }
    public var issuerKeyHash: Data { issuer.keyHash }

    /// Reads a CertID OpenSSL parsed (borrowed). Throws OCSPRequestError for a hash
    /// algorithm outside OCSPHashAlgorithm or a hash of the wrong length.
    init(reading cid: OpaquePointer) throws(OCSPRequestError) {
        var nameHash: UnsafeMutablePointer<ASN1_OCTET_STRING>? = nil
        var keyHash: UnsafeMutablePointer<ASN1_OCTET_STRING>? = nil
        var md: OpaquePointer? = nil
        var serial: UnsafeMutablePointer<ASN1_INTEGER>? = nil
        guard OCSP_id_get0_info(&nameHash, &md, &keyHash, &serial, cid) == 1,
              let nameHash, let keyHash, let md, let serial else {
            OpenSSLError.drainQueue()
            throw .notDER("a CertID lacks a field")
        }
        guard let oid = OID(objectText: md) else { throw .unsupportedHashAlgorithm("(unprintable OID)") }
        guard let algorithm = OCSPHashAlgorithm(oid: oid) else { throw .unsupportedHashAlgorithm(oid.dotted) }
        let name = asn1Bytes(UnsafePointer(nameHash))
        let key = asn1Bytes(UnsafePointer(keyHash))
        guard name.count == algorithm.length, key.count == algorithm.length else {
            throw .notDER("a \(algorithm) CertID with hashes of \(name.count) and \(key.count) octets (\(algorithm.length) expected)")
        }
        guard let bn = ASN1_INTEGER_to_BN(serial, nil) else {
            OpenSSLError.drainQueue()
            throw .notDER("a CertID serialNumber is not an INTEGER")
        }
        defer { BN_free(bn) }
        guard let hex = BN_bn2hex(bn) else {
            OpenSSLError.drainQueue()
            throw .notDER("a CertID serialNumber cannot be read")
        }
        defer { estfcgi_OPENSSL_free(hex) }
        // Certificate.serialHex's form: BN_bn2hex, lowercased, leading zeros dropped.
        var s = Substring(String(cString: hex).lowercased())
        while s.hasPrefix("0") && s.count > 1 { s = s.dropFirst() }
        guard let der = try? DERBridge.encode("i2d_OCSP_CERTID", { i2d_OCSP_CERTID(cid, $0) }) else {
            OpenSSLError.drainQueue()
            throw .notDER("a CertID cannot be re-encoded")
        }
        self.issuer = OCSPIssuerHash(algorithm: algorithm, nameHash: name, keyHash: key)
        self.serialHex = String(s)
        self.der = der
    }

    /// True when `issuer` is the CA this CertID names: its subject Name and its public key
    /// hash as issuerNameHash and issuerKeyHash (RFC 6960 §4.1.1). Both must match: two CAs
    /// may share a name across a key change.
    public func matches(issuer candidate: Certificate) -> Bool {
        guard let hashes = try? OCSPIssuerHash(of: candidate, algorithm: issuer.algorithm) else { return false }
        return hashes == issuer
    }

    /// True when this CertID names the certificate `certificate` issued by `issuer`.
    public func identifies(_ certificate: Certificate, issuedBy issuer: Certificate) -> Bool {
        certificate.serialHex == serialHex && matches(issuer: issuer)
    }

    public var description: String {
        "\(issuer.algorithm) issuer \(issuer.nameHash.hexString.prefix(16))…/\(issuer.keyHash.hexString.prefix(16))… serial \(serialHex)"
    }
}
