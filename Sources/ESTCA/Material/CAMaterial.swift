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
    /// By the name's bytes, as the store keys them (a String key would merge spellings).
    private let casByName: [ByteName: CARecord]
    /// By label; the default profile (label nil) under "" (never a valid label).
    private let profiles: [String: Profile]
    private let verifiers: [String: ChainVerifier]

    /// Earlier certificates of the CAs (rollover, renewal): trusted for client chains like
    /// the CA they were; those in a rollover's overlap also go out with /cacerts.
    let generations: [CAGeneration]

    init(version: Int64, cas: [CARecord], profiles: [Profile], generations: [CAGeneration] = []) {
        self.version = version
        self.cas = cas
        self.generations = generations
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
}
