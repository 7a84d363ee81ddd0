import ArgumentParser
import ESTCA
import ESTCore
import Foundation

struct Audit: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show the most recent audit records (the default), or prune old ones.",
        subcommands: [AuditShow.self, Prune.self], defaultSubcommand: AuditShow.self)

    struct Prune: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Delete audit records older than a date (retention).")
        @OptionGroup var store: StoreOptions
        @Option(help: ArgumentHelp("YYYY-MM-DD (UTC midnight) or YYYY-MM-DDTHH:MM:SSZ.", valueName: "DATE")) var before: String

        func run() throws {
            guard let date = Timestamp.date(before) ?? Timestamp.date(before + "T00:00:00Z") else {
                throw CAError.badRequest("--before takes YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ")
            }
            let removed = try store.administration().pruneAudit(before: date)
            print("pruned \(removed) audit records before \(Timestamp.string(date))")
        }
    }
}

struct AuditShow: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "show", abstract: "Show the most recent audit records.")
    @OptionGroup var store: StoreOptions
    @OptionGroup var output: JSONOption
    @Option(help: "How many records.") var limit = 50

    func run() throws {
        let records = try store.openStore().auditRecords(limit: limit)
        if output.json {
            try printJSON(records.map { r -> [String: Any] in
                let e = r.event
                return ["id": r.id, "time": r.time, "operation": e.operation, "profile": nullable(e.profile),
                        "client": nullable(e.client), "status": nullable(e.status), "outcome": e.outcome.rawValue,
                        "reason": e.reason, "serial": nullable(e.serial)]
            })
        } else {
            for r in records {
                let e = r.event
                print([r.time, e.operation, e.profile ?? "-", e.status.map(String.init) ?? "-", e.outcome.rawValue,
                       e.client ?? "-", e.reason].map(TextOutput.safe).joined(separator: "\t"))
            }
        }
    }
}
