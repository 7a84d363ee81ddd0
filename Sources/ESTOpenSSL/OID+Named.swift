/// The object identifiers estfcgi names, in one place, each with where it is defined.
extension OID {
    // X.520 attribute types.
    public static let commonName = OID(named: "2.5.4.3")
    public static let serialNumber = OID(named: "2.5.4.5")

    // RFC 5280 §4.2.1 certificate extensions.
    public static let subjectAltName = OID(named: "2.5.29.17")
    public static let basicConstraints = OID(named: "2.5.29.19")
    public static let keyUsage = OID(named: "2.5.29.15")
    public static let extendedKeyUsage = OID(named: "2.5.29.37")
    public static let subjectKeyIdentifier = OID(named: "2.5.29.14")
    public static let authorityKeyIdentifier = OID(named: "2.5.29.35")
    public static let crlDistributionPoints = OID(named: "2.5.29.31")
    /// RFC 5280 §4.2.2.1.
    public static let authorityInfoAccess = OID(named: "1.3.6.1.5.5.7.1.1")
    /// RFC 6960 §4.2.2.2.1 id-pkix-ocsp-nocheck.
    public static let ocspNoCheck = OID(named: "1.3.6.1.5.5.7.48.1.5")

    // RFC 5280 §4.2.1.12 key purposes, and Microsoft's smart-card logon.
    public static let serverAuth = OID(named: "1.3.6.1.5.5.7.3.1")
    public static let clientAuth = OID(named: "1.3.6.1.5.5.7.3.2")
    public static let codeSigning = OID(named: "1.3.6.1.5.5.7.3.3")
    public static let emailProtection = OID(named: "1.3.6.1.5.5.7.3.4")
    public static let ipsecIKE = OID(named: "1.3.6.1.5.5.7.3.17")
    public static let timeStamping = OID(named: "1.3.6.1.5.5.7.3.8")
    public static let ocspSigning = OID(named: "1.3.6.1.5.5.7.3.9")
    public static let msSmartcardLogin = OID(named: "1.3.6.1.4.1.311.20.2.2")
    /// RFC 5280 §4.2.1.12 anyExtendedKeyUsage.
    public static let anyExtendedKeyUsage = OID(named: "2.5.29.37.0")

    // PKCS#9 (RFC 2985) request attributes.
    public static let challengePassword = OID(named: "1.2.840.113549.1.9.7")
    public static let extensionRequest = OID(named: "1.2.840.113549.1.9.14")
    /// RFC 2307 macAddress, as RFC 7030 §4.5.2's example asks for it.
    public static let macAddress = OID(named: "1.3.6.1.1.1.1.22")

    // RFC 7030 §4.4.1 server-side key generation attributes.
    public static let decryptKeyIdentifier = OID(named: "1.2.840.113549.1.9.16.2.37")
    public static let asymmetricDecryptKeyIdentifier = OID(named: "1.2.840.113549.1.9.16.2.54")
    /// RFC 5958 §3 id-ct-KP-aKeyPackage.
    public static let asymmetricKeyPackage = OID(named: "2.16.840.1.101.2.1.2.78.5")

    // Public key algorithms (RFC 3279, RFC 5480, RFC 8410) and curves.
    public static let rsaEncryption = OID(named: "1.2.840.113549.1.1.1")
    public static let idEcPublicKey = OID(named: "1.2.840.10045.2.1")
    public static let idEd25519 = OID(named: "1.3.101.112")
    public static let secp256r1 = OID(named: "1.2.840.10045.3.1.7")
    public static let secp384r1 = OID(named: "1.3.132.0.34")
    public static let secp521r1 = OID(named: "1.3.132.0.35")

    // Signature algorithms (RFC 5758 §3.2, RFC 4055 §5).
    public static let ecdsaWithSHA256 = OID(named: "1.2.840.10045.4.3.2")
    public static let ecdsaWithSHA384 = OID(named: "1.2.840.10045.4.3.3")
    public static let ecdsaWithSHA512 = OID(named: "1.2.840.10045.4.3.4")
    public static let sha256WithRSAEncryption = OID(named: "1.2.840.113549.1.1.11")
    public static let sha384WithRSAEncryption = OID(named: "1.2.840.113549.1.1.12")
    public static let sha512WithRSAEncryption = OID(named: "1.2.840.113549.1.1.13")
}
