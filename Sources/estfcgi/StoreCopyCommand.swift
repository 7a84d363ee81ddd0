import ArgumentParser
import ESTCA
import ESTStore
import Foundation

struct StoreCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "store", abstract: "Move a whole store between backends.", subcommands: [Copy.self])

    /// `estfcgi store copy --from FILE|URI --to FILE|URI`: every row of every table, ids
    /// kept, in one transaction on the target; then counts per table and certificate
    /// fingerprints compared. The target must be empty (it is created when missing).
    struct Copy: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Copy a whole store (SQLite file or postgresql:// URI) into an empty one, then verify it.",
            discussion: """
                Both stores are brought to this estfcgi's schema version first (as any command does).
                Stop the responders on --from (or accept that what they write meanwhile is not copied).
                """)
        @Option(help: ArgumentHelp("The store to copy.", valueName: "FILE|URI")) var from: String
        @Option(help: ArgumentHelp("The store to fill: a new file, or an empty (or schema-less) PostgreSQL database.", valueName: "FILE|URI")) var to: String

        func run() throws {
            let source = try StoreLocation(from), target = try StoreLocation(to)
            guard source.description != target.description else { throw CAError.badRequest("--from and --to name the same store") }
            // Through the stores: the schema is made or migrated, a missing source is refused.
            _ = try source.open(create: false)
            _ = try target.open(create: true)
            let report = try StoreCopy.copy(from: try source.connection(), to: try target.connection(), targetName: target.description)
            print("copied \(source) -> \(target)")
            for (table, n) in report.copied { print("  \(table.padding(toLength: 20, withPad: " ", startingAt: 0)) \(n)") }
            print("verified: row counts of \(report.copied.count) tables, fingerprints of \(report.checkedCertificates) certificates (CAs and issued)")
        }
    }
}
