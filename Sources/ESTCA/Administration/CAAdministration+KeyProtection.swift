import ESTCore
import ESTOpenSSL
import Foundation

extension CAAdministration {
    /// Re-encrypts every software key of the store (each CA's current key, every earlier
    /// generation's, every delegated OCSP responder's; token keys have nothing stored) under
    /// `target`, in one transaction with one audit event: all move, or none. The keyring
    /// needs what unlocks the keys now and what `target` needs. Each new encryption is
    /// opened again and compared with the key before anything is written. Returns what
    /// moved (empty: everything was already under `target`).
    @discardableResult
    public func rekeyProtection(to target: KeyProtection) throws -> [KeyReencryption.Holder] {
        switch target {
        case .keyFile where keyring.keyFile == nil:
            throw CAError.badRequest("--to key-file needs the key file: --key-file or ESTFCGI_KEY_FILE (estfcgi init --create-key-file makes one)")
        case .passphrase where !keyring.hasPassphrase:
            throw CAError.badRequest("--to passphrase needs the passphrase: --key-passphrase-file or ESTFCGI_KEY_PASSPHRASE_FILE")
        default: break
        }
        var changes: [KeyReencryption] = []
        func move(_ holder: KeyReencryption.Holder, _ pem: String, protection: String?, key: () throws -> PrivateKey) throws {
            guard protection != target.rawValue || KeyProtection.of(pem: pem) != target else { return }
            let plain = try key()
            let sealed = try keyring.encrypt(plain, as: target)
            guard try keyring.decrypted(sealed, owner: "\(holder)").matches(try plain.publicKey) else {
                throw CAError.internalFailure("the re-encrypted key of \(holder) does not open to the same key: nothing changed")
            }
            changes.append(KeyReencryption(holder: holder, oldPEM: pem, newPEM: sealed))
        }
        for ca in try store.allCAs() {
            guard let pem = ca.encryptedKeyPEM else { continue }
            try move(.ca(ca.name), pem, protection: ca.keyProtection) { try keyring.signingKey(for: ca) }
        }
        for generation in try store.caGenerations(ofCA: nil) {
            guard let pem = generation.encryptedKeyPEM else { continue }
            try move(.generation(id: generation.id, ca: generation.caName), pem, protection: generation.keyProtection) {
                try keyring.generationKey(for: generation)
            }
        }
        for signer in try store.ocspSigners() {
            guard let pem = signer.encryptedKeyPEM else { continue }
            try move(.ocspSigner(ca: signer.ca), pem, protection: signer.keyProtection) { try keyring.ocspSigningKey(for: signer) }
        }
        guard !changes.isEmpty else { return [] }
        let shown = changes.prefix(8).map { "\($0.holder)" }.joined(separator: ", ") + (changes.count > 8 ? " and \(changes.count - 8) more" : "")
        try store.replaceKeys(changes, audit: .admin("ca-key-protect", reason: "\(changes.count) key\(changes.count == 1 ? "" : "s") now \(target.rawValue): \(shown)"),
                              now: now())
        return changes.map(\.holder)
    }
}
