import ArgumentParser
import ESTCA
import Foundation

extension CA {
    struct RekeyProtection: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "rekey-protection",
            abstract: "Re-encrypt every stored CA key under the key file or the passphrase.",
            discussion: """
                Moves every software key of the store (each CA's, every earlier generation's, every OCSP responder's; \
                token keys are left alone) to the protection --to names, in one transaction with one audit event: all or \
                nothing. Needs both the passphrase file and the key file. key-file: HKDF-SHA256 + AES-256-GCM, unlocked in \
                microseconds (unattended servers, CGI); passphrase: PBKDF2-SHA256 at 600,000 iterations (~0.2 s per process).
                """)
        @OptionGroup var store: StoreOptions
        @Option(help: ArgumentHelp("key-file or passphrase.", valueName: "PROTECTION")) var to: String
        @OptionGroup var output: JSONOption

        func run() throws {
            guard let target = KeyProtection.allCases.first(where: { $0.optionName == to }) else {
                throw CAError.badRequest("--to must be key-file or passphrase")
            }
            let moved = try store.administration().rekeyProtection(to: target)
            if output.json {
                try printJSON(["protection": target.rawValue, "reencrypted": moved.map { "\($0)" }])
                return
            }
            if moved.isEmpty { print("every stored key is already \(target.rawValue)"); return }
            for holder in moved { print("\(holder): key now \(target.rawValue)") }
        }
    }
}
