import ArgumentParser
import ESTOpenSSL
import Foundation

struct Init: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Create the store (idempotent).")
    @OptionGroup var store: StoreOptions

    func run() throws {
        let s = try store.openStore(create: true)
        // With the passphrase at hand, CA keys under older protection are re-encrypted.
        if try store.passphrase() != nil {
            for name in try store.administration().upgradeKeyProtection() {
                print("CA '\(name)': key re-encrypted (\(PrivateKey.keyProtection))")
            }
        }
        print("store \(try store.path) ready (schema version \(try s.schemaVersion))")
    }
}
