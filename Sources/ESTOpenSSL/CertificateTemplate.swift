import Foundation

/// What goes into a certificate. The issuer fills in the rest (RFC 5280 §4.1).
public struct CertificateTemplate {
    public var subject: DistinguishedName
    public var publicKey: PublicKey
    /// Positive serial; `CertificateTemplate.randomSerial()` gives 128 random bits.
    public var serial: Data
    public var notBefore: Date
    public var notAfter: Date
    /// basicConstraints (RFC 5280 §4.2.1.9), always present and critical.
    public var isCA: Bool
    public var pathLength: Int?
    /// keyUsage, critical; empty means none.
    public var keyUsage: KeyUsage
    /// extendedKeyUsage; empty means none.
    public var extendedKeyUsage: [ExtendedKeyUsage]
    /// subjectAltName GeneralNames DER, copied as is (RFC 7030 §4.2.2 compares it byte for byte).
    public var subjectAltNameDER: Data?
    /// cRLDistributionPoints (RFC 5280 §4.2.1.13), non-critical, one DistributionPoint with
    /// these URIs as its fullName; empty means none. Each must pass DistributionPointURI.validate.
    public var crlDistributionPoints: [String]
    /// authorityInfoAccess (RFC 5280 §4.2.2.1), non-critical, one id-ad-ocsp AccessDescription
    /// per URL; empty means none. Each must pass OCSPURL.validate. Set after init (the
    /// initialiser is left as it was, for the callers that exist).
    public var ocspURLs: [String] = []
    /// id-pkix-ocsp-nocheck (RFC 6960 §4.2.2.2.1), non-critical, value NULL: relying parties
    /// need not check the revocation of this (delegated OCSP responder) certificate.
    public var ocspNoCheck: Bool = false

    public init(subject: DistinguishedName, publicKey: PublicKey, serial: Data, notBefore: Date, notAfter: Date,
                isCA: Bool, pathLength: Int? = nil, keyUsage: KeyUsage, extendedKeyUsage: [ExtendedKeyUsage] = [],
                subjectAltNameDER: Data? = nil, crlDistributionPoints: [String] = []) {
        self.subject = subject
        self.publicKey = publicKey
        self.serial = serial
        self.notBefore = notBefore
        self.notAfter = notAfter
        self.isCA = isCA
        self.pathLength = pathLength
        self.keyUsage = keyUsage
        self.extendedKeyUsage = extendedKeyUsage
        self.subjectAltNameDER = subjectAltNameDER
        self.crlDistributionPoints = crlDistributionPoints
    }

    /// 128 random bits with the top bit cleared: positive and at most 16 octets
    /// (RFC 5280 §4.1.2.2 allows 20).
    public static func randomSerial() throws -> Data {
        var bytes = [UInt8](try SecureRandom.bytes(16))
        bytes[0] &= 0x7f
        if bytes.allSatisfy({ $0 == 0 }) { bytes[15] = 1 }
        return Data(bytes)
    }
}
