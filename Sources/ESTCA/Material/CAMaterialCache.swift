import Foundation

/// The process's `CAMaterial`, rebuilt when the store's material version moves: a CLI
/// change to a CA or profile is seen by the very next request, in every process, because
/// the version is read from the store on each request (one indexed row).
public final class CAMaterialCache: @unchecked Sendable {
    private let lock = NSLock()
    private var current: CAMaterial?
    /// Signed OCSP responses re-used across requests (RFC 5019 §2.2.4 pre-production), shared
    /// by the process's authorities like the material.
    let ocspResponses = OCSPResponseCache()

    public init() {}

    /// The material as last read, which may trail the store's.
    var lastRead: CAMaterial? { lock.withLock { current } }

    func material(from store: any CAStore) throws -> CAMaterial {
        for _ in 0..<3 {
            let version = try store.materialVersion()
            if let m = lock.withLock({ current }), m.version == version { return m }
            let cas = try store.allCAs()
            let profiles = try store.allProfiles()
            let signers = try store.ocspSigners()
            let generations = try store.caGenerations(ofCA: nil)
            // Read in separate statements: keep them only if nothing changed in between.
            guard try store.materialVersion() == version else { continue }
            let m = CAMaterial(version: version, cas: cas, profiles: profiles, ocspSigners: signers, generations: generations)
            lock.withLock { current = m }
            return m
        }
        throw CAError.unavailable("the store's CAs and profiles are being changed; try again")
    }
}
