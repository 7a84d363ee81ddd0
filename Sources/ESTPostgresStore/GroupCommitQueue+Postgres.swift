import ESTPostgres
import ESTSQL
import Foundation

/// PostgreSQL's group commit (see GroupCommitQueue): a worker that wrote on its own
/// connection waited for its own COMMIT (a WAL flush) and a round trip for BEGIN and for
/// COMMIT: with a few workers the flushes, not the CPU, set the pace. Here a group runs in
/// one READ COMMITTED transaction on the queue's own connection and commits once. Each
/// write still locks what its checks read (SQLCAStore.recordIssued) and sees the writes
/// before it in the group, as one after the other. Other processes and hosts write
/// concurrently, as before. The group's BEGIN, and the rows a write leaves for later
/// (PGConnection.executeLater: its audit row), go with the next statement or the COMMIT:
/// an issuance is two round trips in the group (device, then certificate with its
/// subscribers), the group's COMMIT one.
extension GroupCommitQueue where Connection == PGConnection {
    /// Opens the queue's own connection to the database `conninfo` names.
    convenience init(conninfo: String, overrides: [String: String] = [:]) throws {
        let db = try PGConnection(conninfo: conninfo, overrides: overrides)
        // At most 64 writes in one transaction: a longer one holds its row locks longer.
        self.init(name: "estfcgi-pg-writer", maxGroup: 64) { group in try Self.commit(group, on: db) }
    }

    /// A write of the group threw on its own; the group is run again without it.
    private struct WriteRefused: Error {}

    /// One transaction for the writes of `group` that do not fail on their own; sets each
    /// refused write's error, throws when no transaction committed.
    ///
    /// The whole group runs first without savepoints (one round trip each saved). A write
    /// that throws must not take the others down: the group is rolled back and run again
    /// without it, each write then in a savepoint of its own. A deadlock or serialization
    /// failure runs the whole group again (at most PostgresEngine.attempts times), as
    /// PostgresEngine does for one write.
    static func commit(_ group: [GroupCommitWrite<PGConnection>], on db: PGConnection) throws {
        var pending = group
        var isolated = false  // each write in a savepoint (after one of the group threw)
        var attempt = 1
        while !pending.isEmpty {
            do {
                try db.transaction(.readCommitted) {
                    for (index, write) in pending.enumerated() {
                        // A statement a write left for later (PGConnection.executeLater) fails
                        // with a later one, or the COMMIT: its error names the write's index.
                        db.deferredOwner = index
                        guard isolated else {
                            do { try write.run(db) } catch let e as PGError where e.isRetryable || e.isConnectionFailure {
                                throw e
                            } catch {
                                let owner = (error as? PGError)?.deferredOwner.flatMap { pending.indices.contains($0) ? pending[$0] : nil }
                                (owner ?? write).error = error
                                throw WriteRefused()
                            }
                            continue
                        }
                        try db.script("SAVEPOINT estfcgi_write")
                        do {
                            try write.run(db)
                            try db.script("RELEASE SAVEPOINT estfcgi_write")
                        } catch let e as PGError where e.isRetryable || e.isConnectionFailure {
                            throw e
                        } catch {
                            write.error = error
                            try db.script("ROLLBACK TO SAVEPOINT estfcgi_write")
                            try db.script("RELEASE SAVEPOINT estfcgi_write")
                        }
                    }
                }
                return
            } catch is WriteRefused {
                pending.removeAll { $0.error != nil }
                isolated = true
            } catch let e as PGError where !isolated && !e.isRetryable && !e.isConnectionFailure
                        && e.deferredOwner.map(pending.indices.contains) == true {
                // The last write's deferred statement failed with the COMMIT: that write alone.
                if let owner = e.deferredOwner { pending[owner].error = e }
                pending.removeAll { $0.error != nil }
                isolated = true
            } catch let e as PGError where e.isRetryable && attempt < PostgresEngine.attempts {
                for write in pending { write.error = nil }
                attempt += 1
                usleep(UInt32.random(in: 1_000...(5_000 * UInt32(attempt))))
            } catch {
                // Nothing of this group is in the database: every write in it learns why.
                for write in pending { write.error = error }
                throw error
            }
        }
    }
}
