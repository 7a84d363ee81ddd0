import ArgumentParser
import ESTCA
import ESTOpenSSL
import Foundation

struct RequestCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "request",
        abstract: "Enrollments held for approval (profiles with --approval manual, RFC 7030 §4.2.3).",
        subcommands: [List.self, Show.self, Approve.self, Reject.self])

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List pending requests (with --all, every request).")
        @OptionGroup var store: StoreOptions
        @Flag(help: "Every request: pending, approved, rejected and issued.") var all = false
        @OptionGroup var output: JSONOption

        func run() throws {
            let now = Date()
            let requests = try store.openStore().enrollmentRequests(status: all ? nil : .pending)
            if output.json { try printJSON(requests.map { requestJSON($0, now: now) }); return }
            for r in requests {
                print([String(r.id), r.status.rawValue, r.profileName, r.operation, TextOutput.safe(r.device ?? "-"), r.keyType,
                       age(r.createdAt, now: now), TextOutput.safe(r.subject)].joined(separator: "\t"))
            }
        }
    }

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show one request and its CSR.")
        @OptionGroup var store: StoreOptions
        @Argument(help: "The request number.") var id: Int64
        @OptionGroup var output: JSONOption

        func run() throws {
            let s = try store.openStore()
            guard let r = try s.enrollmentRequest(id: id) else { throw CAError.notFound("no request \(id)") }
            var j = requestJSON(r, now: Date())
            let csr = try s.enrollmentRequestCSR(id: id).map { PEM.encode($0, label: "CERTIFICATE REQUEST") }
            if output.json { j["csr"] = nullable(csr); try printJSON(j); return }
            printFields(j)
            if let csr { print(csr, terminator: "") }
        }
    }

    struct Approve: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Approve a pending request: the device's next attempt gets its certificate.")
        @OptionGroup var store: StoreOptions
        @Argument(help: "The request number.") var id: Int64

        func run() throws {
            let r = try store.administration().decide(request: id, approve: true, reason: "")
            print("approved request \(r.id) (\(TextOutput.safe(r.subject)), profile \(r.profileName))")
        }
    }

    struct Reject: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Reject a pending request: the device is answered 403 with the reason.")
        @OptionGroup var store: StoreOptions
        @Argument(help: "The request number.") var id: Int64
        @Option(help: "Why: sent to the device and kept in the audit.") var reason = ""

        func run() throws {
            guard reason.utf8.count <= 512, !reason.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) else {
                throw CAError.badRequest("--reason must be one line of at most 512 bytes")
            }
            let r = try store.administration().decide(request: id, approve: false, reason: reason)
            print("rejected request \(r.id) (\(TextOutput.safe(r.subject)), profile \(r.profileName))")
        }
    }
}

func requestJSON(_ r: EnrollmentRequest, now: Date) -> [String: Any] {
    ["id": r.id, "status": r.status.rawValue, "profile": nullable(r.profile), "operation": r.operation,
     "device": nullable(r.device), "subject": r.subject, "key_type": r.keyType, "requester": nullable(r.requester),
     "csr_sha256": r.csrHash, "reason": r.reason, "created_at": r.createdAt, "decided_at": nullable(r.decidedAt),
     "serial": nullable(r.serial), "age_seconds": Int(now.timeIntervalSince(Timestamp.date(r.createdAt) ?? now))]
}

/// `42s`, `5m`, `3h`, `2d`: how long a request has waited.
func age(_ since: String, now: Date) -> String {
    let s = max(0, Int(now.timeIntervalSince(Timestamp.date(since) ?? now)))
    if s < 60 { return "\(s)s" }
    if s < 3600 { return "\(s / 60)m" }
    if s < 86400 { return "\(s / 3600)h" }
    return "\(s / 86400)d"
}
