import ESTOpenSSL
import Foundation

/// Signed OCSP responses to requests without a nonce, re-used instead of signing per
/// request (RFC 5019 §2.2.4 lets responders pre-produce responses; RFC 6960 §4.2.2.1
/// producedAt then says when). The key holds everything the response says: the CA, the
/// signer certificate, the CertIDs as asked and the statuses found in the store on this
/// request; a revocation changes the statuses, hence the key, so the next answer is signed
/// afresh. An entry is used while more than half of its validity is left, so a client
/// caching it to nextUpdate keeps at least half. Bounded: at `capacity` the expired entries
/// go, then everything if that was not enough (a flood of distinct requests costs signatures,
/// never memory).
final class OCSPResponseCache: @unchecked Sendable {
    struct Key: Hashable {
        var ca: String
        var signer: Data
        var certIDs: [Data]
        var statuses: [OCSPCertStatus]
    }

    struct Entry {
        var der: Data
        var thisUpdate: Date
        var nextUpdate: Date

        func usable(at now: Date) -> Bool {
            now >= thisUpdate && now < thisUpdate.addingTimeInterval(nextUpdate.timeIntervalSince(thisUpdate) / 2)
        }
    }

    let capacity: Int
    private let lock = NSLock()
    private var entries: [Key: Entry] = [:]

    init(capacity: Int = 4096) { self.capacity = capacity }

    /// The Key of an answer: the pure part, tested on its own.
    static func key(ca: String, signer: Certificate, certIDs: [OCSPCertID], statuses: [OCSPCertStatus]) -> Key {
        Key(ca: ca, signer: signer.fingerprint, certIDs: certIDs.map(\.der), statuses: statuses)
    }

    func entry(_ key: Key, at now: Date) -> Entry? {
        lock.withLock { entries[key].flatMap { $0.usable(at: now) ? $0 : nil } }
    }

    func store(_ entry: Entry, for key: Key, at now: Date) {
        lock.withLock {
            if entries.count >= capacity, entries[key] == nil {
                entries = entries.filter { $0.value.usable(at: now) }
                if entries.count >= capacity { entries.removeAll(keepingCapacity: true) }
            }
            entries[key] = entry
        }
    }

    var count: Int { lock.withLock { entries.count } }
}
