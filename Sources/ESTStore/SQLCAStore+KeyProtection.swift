import ESTCA
import ESTCore
import ESTSQL
import Foundation

/// `ca rekey-protection`: every stored key moved to another protection in one transaction.
extension SQLCAStore {
    public func replaceKeys(_ changes: [KeyReencryption], audit: AuditEvent, now: Date) throws {
        try write { db in
            for change in changes {
                let changed: Int
                // Each UPDATE names the key it replaces: a key changed since it was read (a
                // rollover, a concurrent re-encryption) matches no row and undoes them all.
                switch change.holder {
                case .ca(let name):
                    changed = try db.run("UPDATE cas SET encrypted_key = ?, key_protection = ? WHERE name = ? AND encrypted_key = ?",
                                         [change.newPEM, change.protection, name, change.oldPEM])
                case .generation(let id, _):
                    changed = try db.run("UPDATE ca_generations SET encrypted_key = ?, key_protection = ? WHERE id = ? AND encrypted_key = ?",
                                         [change.newPEM, change.protection, id, change.oldPEM])
                case .ocspSigner(let name):
                    let ca = try Self.caID(db, name)
                    changed = try db.run("UPDATE ocsp_signers SET encrypted_key = ?, key_protection = ? WHERE ca_id = ? AND encrypted_key = ?",
                                         [change.newPEM, change.protection, ca, change.oldPEM])
                }
                guard changed == 1 else { throw StoreError.conflict("the key of \(change.holder) changed meanwhile: nothing re-encrypted, run again") }
            }
            try Self.insertAudit(db, audit, now: now)
        }
    }
}
