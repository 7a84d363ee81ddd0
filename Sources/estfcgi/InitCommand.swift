import ArgumentParser
import ESTCA
import ESTOpenSSL
import Foundation

struct Init: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Create the store (idempotent).",
        discussion: """
            With --create-key-file, also creates the key file --key-file (or ESTFCGI_KEY_FILE) names: a random 256-bit \
            secret, mode 600, never printed, never replacing a file. CA keys are then sealed under it (HKDF-SHA256, \
            AES-256-GCM), which unlocks in microseconds: the default for unattended servers, and the one for CGI, where \
            every request would pay the passphrase's PBKDF2 (~0.2 s). Back the file up with the store.
            """)
    @OptionGroup var store: StoreOptions
    @Flag(help: "Create the key file named by --key-file or ESTFCGI_KEY_FILE (fails if it exists).") var createKeyFile = false

    func run() throws {
        if createKeyFile {
            guard let path = store.keyFilePath else { throw CAError.badRequest("--create-key-file needs --key-file FILE (or ESTFCGI_KEY_FILE)") }
            let file = try KeyFile.create(path)
            print("key file \(path) created (mode 600, id \(file.identifier)): back it up, it unlocks every CA key sealed under it")
        }
        let s = try store.openStore(create: true)
        // With the passphrase at hand, CA keys under older protection are re-encrypted.
        if try store.passphrase() != nil {
            let keyring = try store.keyring()
            for name in try store.administration().upgradeKeyProtection() {
                print("CA '\(name)': key re-encrypted (\(keyring.preferredProtection?.rawValue ?? PrivateKey.keyProtection))")
            }
        }
        if store.keyFilePath != nil {
            let underPassphrase = try s.allCAs().filter { $0.encryptedKeyPEM != nil && $0.keyProtection != KeyProtection.keyFile.rawValue }
            if !underPassphrase.isEmpty {
                print("\(underPassphrase.count) CA key(s) still under the passphrase: estfcgi ca rekey-protection --to key-file seals them under the key file")
            }
        }
        print("store \(try store.path) ready (schema version \(try s.schemaVersion))")
    }
}
