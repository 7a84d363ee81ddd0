import ESTOpenSSL
import Foundation

/// The rules every issued certificate follows, for the CLI and EST alike.
public enum IssuancePolicy {
    /// Back-dating of notBefore, for devices whose clocks run a little behind.
    static let clockSkew: TimeInterval = 300

    /// A key to certify: its algorithm passes `checkKey(_:allowed:)`, an RSA exponent is odd
    /// and at least 65537 (e = 1 would let anyone forge its signatures), an EC key names
    /// its curve (RFC 5480 §2.1.1; explicit parameters fail path validation).
    public static func checkKey(_ key: PublicKey, allowed: [KeyTypeRule]) throws {
        try checkKey(key.algorithm, allowed: allowed)
        if let e = key.rsaExponent {
            let odd = (e.last ?? 0) & 1 == 1
            let atLeast65537 = e.count > 3 || (e.count == 3 && e.reduce(0) { $0 << 8 | Int($1) } >= 65537)
            guard odd, atLeast65537 else {
                throw CAError.badRequest("RSA public exponent 0x\(e.hexString) refused (odd and at least 65537)")
            }
        }
        guard key.hasNamedCurve else { throw CAError.badRequest("EC key with explicit curve parameters refused (use a named curve)") }
        // RFC 5480 §2.2: the hybrid form (06/07) MUST NOT be used. OpenSSL reads it, and the
        // certificate copies the CSR's point as it came.
        guard key.hasPermittedPointForm else {
            throw CAError.badRequest("EC public key not in uncompressed or compressed form (RFC 5480 §2.2)")
        }
    }

    /// RSA 2048–8192 (rsaEncryption or RSASSA-PSS), EC P-256/P-384/P-521 or Ed25519,
    /// narrowed by the profile's key types.
    public static func checkKey(_ algorithm: KeyAlgorithm, allowed: [KeyTypeRule]) throws {
        switch algorithm {
        case _ where (algorithm.rsaBits ?? 2048) < 2048:
            throw CAError.badRequest("RSA key of \(algorithm.rsaBits ?? 0) bits refused (minimum 2048)")
        case _ where (algorithm.rsaBits ?? 0) > 8192:
            throw CAError.badRequest("RSA key of \(algorithm.rsaBits ?? 0) bits refused (maximum 8192)")
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

    /// keyUsage for an end-entity key: digitalSignature, plus keyEncipherment for an
    /// rsaEncryption key (RFC 5280 §4.2.1.3); an RSASSA-PSS key signs only (RFC 4055 §1.2).
    /// Never keyCertSign or cRLSign, whatever the CSR asks.
    public static func keyUsage(for algorithm: KeyAlgorithm) -> KeyUsage {
        if case .rsa = algorithm { return [.digitalSignature, .keyEncipherment] }
        return [.digitalSignature]
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
