import ArgumentParser
import Foundation

struct Audit: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Show the most recent audit records.")
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
                       e.client ?? "-", e.reason].joined(separator: "\t"))
            }
        }
    }
}
