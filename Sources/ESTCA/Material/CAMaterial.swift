import ESTCore
import ESTOpenSSL
import Foundation

/// The CAs and profiles of one store version, parsed once: the certificates and chains,
/// and each profile's OpenSSL trust store ready for RFC 5280 path validation. Immutable,
/// so the workers of a process share one. Revocation, denials and re-enrollment state are
/// not here: they are read from the store on every request.
final class CAMaterial: @unchecked Sendable {
    let version: Int64
    let cas: [CARecord]
    /// Their certificates, in the same order (a CSR's subject is compared with each).
    let caCertificates: [Certificate]
    /// By the name's bytes, as the store keys them (a String key would merge spellings).
    private let casByName: [ByteName: CARecord]
    /// By label; the default profile (label nil) under "" (never a valid label).
    private let profiles: [String: Profile]
    private let verifiers: [String: ChainVerifier]
    /// The CAs with a key, by every hash a CertID may name them with (RFC 6960 §4.1.1).
    let ocspIssuers: [OCSPIssuerHash: CARecord]
    /// Each CA's OCSP signer record, by the CA name's bytes.
    let ocspSignerRecords: [ByteName: OCSPSignerRecord]
    /// The response signers built from them (keys decrypted once per material version),
    /// built when first needed.
    private let signersLock = NSLock()
    private var responseSigners: [String: OCSPResponseSigner] = [:]
    /// Earlier generations with a key, by the hashes CertIDs of what they certified carry
    /// (after `ca rollover` or `ca renew` with a new key), where no current CA has them.
    let ocspGenerations: [OCSPIssuerHash: CAGeneration]

    /// Earlier certificates of the CAs (rollover, renewal): trusted for client chains like
    /// the CA they were; those in a rollover's overlap also go out with /cacerts.
    let generations: [CAGeneration]

    init(version: Int64, cas: [CARecord], profiles: [Profile], ocspSigners: [OCSPSignerRecord] = [],
         generations: [CAGeneration] = []) {
        self.version = version
        self.cas = cas
        caCertificates = cas.map(\.certificate)
        self.generations = generations
        var issuers: [OCSPIssuerHash: CARecord] = [:]
        for ca in cas where ca.hasKey {
            for hash in (try? OCSPIssuerHash.all(of: ca.certificate)) ?? [] where issuers[hash] == nil { issuers[hash] = ca }
        }
        ocspIssuers = issuers
        var earlier: [OCSPIssuerHash: CAGeneration] = [:]
        for g in generations where g.hasKey {
            for hash in (try? OCSPIssuerHash.all(of: g.certificate)) ?? [] where issuers[hash] == nil && earlier[hash] == nil { earlier[hash] = g }
        }
        ocspGenerations = earlier
        ocspSignerRecords = Dictionary(ocspSigners.map { (ByteName($0.ca), $0) }, uniquingKeysWith: { first, _ in first })
        casByName = Dictionary(cas.map { (ByteName($0.name), $0) }, uniquingKeysWith: { first, _ in first })
        self.profiles = Dictionary(profiles.map { ($0.label ?? "", $0) }, uniquingKeysWith: { first, _ in first })
        // Every store CA and its chain may complete a client's path; only a profile's trust
        // CAs may end it.
        // A trusted CA's earlier generations end paths too (old-chain devices, RFC 4210 §4.4),
        // and the link certificates join old and new.
        let intermediates = cas.flatMap { [$0.certificate] + $0.chain }
            + generations.flatMap { [$0.certificate] + $0.chain + [$0.newWithOld, $0.oldWithNew].compactMap { $0 } }
        verifiers = self.profiles.mapValues { profile in
            let trusted = { (name: String) in profile.trust.contains { ByteName.same($0, name) } }
            return ChainVerifier(anchors: cas.filter { trusted($0.name) }.map(\.certificate)
                                    + generations.filter { trusted($0.caName) }.map(\.certificate),
                                 intermediates: intermediates)
        }
    }

    func profile(label: String?) -> Profile? { profiles[label ?? ""] }
    func ca(named name: String) -> CARecord? { casByName[ByteName(name)] }
    func verifier(for profile: Profile) -> ChainVerifier? { verifiers[profile.label ?? ""] }

    /// The response signer named `key`, built once from `build` and kept with this material.
    func responseSigner(_ key: String, build: () throws -> OCSPResponseSigner) throws -> OCSPResponseSigner {
        if let s = signersLock.withLock({ responseSigners[key] }) { return s }
        let s = try build()
        signersLock.withLock { responseSigners[key] = s }
        return s
    }
}
