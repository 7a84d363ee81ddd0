import Foundation

/// An issuer as a CertID names it (RFC 6960 §4.1.1): a hash algorithm with the hash of the
/// issuer's Name and the hash of its public key. Hashable, so that a responder serving
/// several CAs computes each CA's keys once (`OCSPIssuerHash.all(of:)`) and finds the CA
/// of a CertID with `certID.issuer` as the index.
public struct OCSPIssuerHash: Hashable, Sendable {
    public let algorithm: OCSPHashAlgorithm
    /// The hash of the DER of the issuer's subject Name (the issuer field of the
    /// certificates it signs).
    public let nameHash: Data
    /// The hash of the issuer's subjectPublicKey BIT STRING value, the unused-bits octet
    /// excluded (as OpenSSL and RFC 5280 §4.2.1.2 method 1 compute it).
    public let keyHash: Data

    public init(algorithm: OCSPHashAlgorithm, nameHash: Data, keyHash: Data) {
        self.algorithm = algorithm
        self.nameHash = nameHash
        self.keyHash = keyHash
    }

    /// The two hashes of `issuer` with `algorithm`.
    public init(of issuer: Certificate, algorithm: OCSPHashAlgorithm) throws {
        // SubjectPublicKeyInfo ::= SEQUENCE { algorithm AlgorithmIdentifier, subjectPublicKey BIT STRING }
        guard let spki = DER.elements(issuer.publicKey.spkiDER)?.first, spki.tag == 0x30,
              let parts = DER.elements(spki.content), parts.count == 2, parts[1].tag == 0x03,
              !parts[1].content.isEmpty else {
            throw OpenSSLError("SubjectPublicKeyInfo", detail: "malformed subjectPublicKey")
        }
        self.init(algorithm: algorithm, nameHash: algorithm.hash(issuer.subject.der),
                  keyHash: algorithm.hash(parts[1].content.dropFirst()))
    }

    /// The keys of `issuer` for every algorithm a CertID may use.
    public static func all(of issuer: Certificate) throws -> [OCSPIssuerHash] {
        try OCSPHashAlgorithm.allCases.map { try OCSPIssuerHash(of: issuer, algorithm: $0) }
    }
}
