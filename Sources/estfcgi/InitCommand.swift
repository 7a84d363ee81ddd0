import ArgumentParser
import Foundation

struct Init: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Create the store (idempotent).")
    @OptionGroup var store: StoreOptions

    func run() throws {
        let s = try store.openStore(create: true)
        print("store \(try store.path) ready (schema version \(try s.schemaVersion))")
    }
}
