internal import COpenSSL
import Foundation

/// The hash algorithms a CertID may name (RFC 6960 §4.1.1 hashAlgorithm). SHA-1 is the
/// one RFC 5019 §2.1.1 clients must use and RFC 6960 §4.3 responders must support;
/// `openssl ocsp -sha256` and others use the SHA-2 ones. Any other algorithm is refused
/// when the request is parsed (OCSPRequestError.unsupportedHashAlgorithm).
public enum OCSPHashAlgorithm: String, CaseIterable, Hashable, Sendable, CustomStringConvertible {
    case sha1, sha256, sha384, sha512

    /// The AlgorithmIdentifier's OID: id-sha1 (RFC 3279 §2.2.1), id-sha256/384/512 (RFC 5754 §2).
    public var oid: OID {
        switch self {
        case .sha1: return OID(named: "1.3.14.3.2.26")
        case .sha256: return OID(named: "2.16.840.1.101.3.4.2.1")
        case .sha384: return OID(named: "2.16.840.1.101.3.4.2.2")
        case .sha512: return OID(named: "2.16.840.1.101.3.4.2.3")
        }
    }

    /// The octets of one hash.
    public var length: Int {
        switch self {
        case .sha1: return 20
        case .sha256: return 32
        case .sha384: return 48
        case .sha512: return 64
        }
    }

    public init?(oid: OID) {
        guard let known = Self.allCases.first(where: { $0.oid == oid }) else { return nil }
        self = known
    }

    public var description: String { rawValue }

    /// The hash of `data`.
    public func hash(_ data: Data) -> Data {
        switch self {
        case .sha1: return Digest.sha1(data)
        case .sha256: return Digest.sha256(data)
        case .sha384: return Digest.sha384(data)
        case .sha512: return Digest.sha512(data)
        }
    }
}
