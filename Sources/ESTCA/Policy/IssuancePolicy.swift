import ESTOpenSSL
import Foundation

/// The rules every issued certificate follows, for the CLI and EST alike.
public enum IssuancePolicy {
    /// Back-dating of notBefore, for devices whose clocks run a little behind.
    static let clockSkew: TimeInterval = 300

    /// RSA 2048–8192, EC P-256/P-384/P-521 or Ed25519, narrowed by the profile's key types.
    public static func checkKey(_ algorithm: KeyAlgorithm, allowed: [KeyTypeRule]) throws {
        switch algorithm {
        case .rsa(let bits) where bits < 2048:
            throw CAError.badRequest("RSA key of \(bits) bits refused (minimum 2048)")
        case .rsa(let bits) where bits > 8192:
            throw CAError.badRequest("RSA key of \(bits) bits refused (maximum 8192)")
        case .ec where algorithm.keyType == nil:
            throw CAError.badRequest("\(algorithm) refused (use P-256, P-384 or P-521)")
        case .other(let name):
            throw CAError.badRequest("\(name) key refused (use RSA, EC or Ed25519)")
        default: break
        }
        guard allowed.isEmpty || allowed.contains(where: { $0.allows(algorithm) }) else {
            throw CAError.badRequest("\(algorithm) key not allowed by this profile (allowed: \(allowed.map(\.description).joined(separator: ",")))")
        }
    }

    /// keyUsage for an end-entity key: digitalSignature, plus keyEncipherment for RSA
    /// (RFC 5280 §4.2.1.3). Never keyCertSign or cRLSign, whatever the CSR asks.
    public static func keyUsage(for algorithm: KeyAlgorithm) -> KeyUsage {
        algorithm.isRSA ? [.digitalSignature, .keyEncipherment] : [.digitalSignature]
    }

    /// keyUsage for a CA certificate (RFC 5280 §4.2.1.3, §4.2.1.9).
    static let caKeyUsage: KeyUsage = [.keyCertSign, .cRLSign, .digitalSignature]

    /// The validity window: now (less skew) until min(now + days, the issuer's notAfter when given).
    public static func validity(days: Int, issuer: Certificate?, now: Date) throws -> (notBefore: Date, notAfter: Date) {
        var notAfter = now.addingTimeInterval(.days(days))
        if let issuer { notAfter = min(notAfter, issuer.notAfter) }
        guard notAfter > now else { throw CAError.internalFailure("issuing CA certificate has expired") }
        return (now.addingTimeInterval(-clockSkew), notAfter)
    }
}
