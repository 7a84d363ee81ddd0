import ESTOpenSSL
import Foundation

/// The keys a CA has had, oldest first: each earlier generation's key in the order it first
/// appeared, then the current one. A key's place is its index N, which names its CRL URL
/// (`CRLIssuerPath`: `{ca}` is `NAME` for the first key, `NAME(N)` for later ones), so it
/// must never change: generations are only ever appended, and a key never comes back.
public struct CAKeyHistory: Sendable {
    /// SubjectPublicKeyInfo DER of each key, oldest first; the last is the current key.
    public let keys: [Data]

    /// `generations`: those of this CA (any order; sorted here by id, the order they retired).
    public init(current: Certificate, generations: [CAGeneration]) {
        var keys: [Data] = []
        for g in generations.sorted(by: { $0.id < $1.id }) where !keys.contains(g.certificate.publicKey.spkiDER) {
            keys.append(g.certificate.publicKey.spkiDER)
        }
        if !keys.contains(current.publicKey.spkiDER) { keys.append(current.publicKey.spkiDER) }
        self.keys = keys
        // The last, unless an earlier key came back (refused by ca rollover and ca renew).
        currentIndex = keys.firstIndex(of: current.publicKey.spkiDER) ?? keys.count - 1
    }

    /// The index of the key that signs what the CA issues now.
    public let currentIndex: Int

    /// The index of `key` (nil: never a key of this CA).
    public func index(of key: PublicKey) -> Int? {
        keys.firstIndex(of: key.spkiDER)
    }

    /// How the store names key `index`'s CRLs (`key_crls.key_id`): SHA-256 of its
    /// SubjectPublicKeyInfo, hex.
    public func keyID(_ index: Int) -> String? {
        keys.indices.contains(index) ? Self.keyID(spki: keys[index]) : nil
    }

    public static func keyID(spki: Data) -> String {
        Digest.sha256(spki).hexString
    }
}
