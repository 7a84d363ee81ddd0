import ArgumentParser
import ESTCA
import ESTCore
import ESTHTTP
import ESTOpenSSL
import Foundation

struct NotifyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "notify",
        abstract: "Event notifications: CloudEvents POSTed to the operator's receivers, at least once, in commit order.",
        discussion: """
            Each issuance, renewal, revocation, refused request and pending request commits an \
            event for every receiver subscribed to its kind, in the same transaction. `serve` \
            delivers them (a thread, every second); `notify run --once` does one pass, for \
            cron in CGI setups. See docs/integrations.md.
            """,
        subcommands: [Add.self, List.self, Remove.self, Run.self])

    static func store(_ options: StoreOptions) throws -> any NotificationStore {
        guard let store = try options.openStore() as? any NotificationStore else {
            throw CAError.internalFailure("this store keeps no notifications")
        }
        return store
    }

    static func json(_ r: NotificationReceiver) -> [String: Any] {
        ["id": r.id, "url": r.url, "events": r.events.map(\.rawValue), "ca_file": nullable(r.caFile),
         "secret_file": nullable(r.secretFile), "created_at": r.createdAt, "backlog": r.backlog, "delivered": r.delivered,
         "failures": r.failures, "next_attempt_at": nullable(r.nextAttemptAt), "last_error": nullable(r.lastError),
         "last_error_at": nullable(r.lastErrorAt), "last_delivered_at": nullable(r.lastDeliveredAt),
         "lease_holder": nullable(r.leaseHolder), "lease_until": nullable(r.leaseUntil)]
    }

    /// An absolute path: `serve` and cron may run in another directory.
    static func absolute(_ path: String) -> String {
        path.hasPrefix("/") ? path : FileManager.default.currentDirectoryPath + "/" + path
    }

    struct Add: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Add a receiver: a URL that events are POSTed to.")
        @OptionGroup var store: StoreOptions
        @Option(help: ArgumentHelp("The receiver: an http:// or https:// URL.", valueName: "URL")) var url: String
        @Option(help: ArgumentHelp("The events it gets.", valueName: "issued,renewed,revoked,refused,pending"))
        var events: String = NotificationEventType.allCases.map(\.rawValue).joined(separator: ",")
        @Option(help: ArgumentHelp("PEM file of the CAs its https certificate must chain to (default: the system's).", valueName: "FILE"))
        var ca: String?
        @Option(help: ArgumentHelp("File whose first line (16+ characters, mode 600 or 640) is the HMAC-SHA256 key of the X-EST-Signature header.",
                                   valueName: "FILE"))
        var secretFile: String?
        @OptionGroup var output: JSONOption

        func run() throws {
            let types = try NotificationEventType.parseList(events)
            var caFile: String? = nil
            if let ca {
                let path = NotifyCommand.absolute(ca)
                let pem = String(decoding: try readFile(path, what: "--ca"), as: UTF8.self)
                guard let certs = try? Certificate.all(fromPEM: pem), !certs.isEmpty else {
                    throw CAError.badRequest("--ca \(ca) holds no PEM certificate")
                }
                caFile = path
            }
            var secret: String? = nil
            if let secretFile {
                let path = NotifyCommand.absolute(secretFile)
                _ = try PassphraseFile.firstLine(path, minimumLength: NotificationDeliverer.minimumSecretLength)
                secret = path
            }
            let receiver = try NewNotificationReceiver(url: url, events: types, caFile: caFile, secretFile: secret)
            // Also as libcurl, which makes the transfers, reads it.
            do { try HTTPClient.checkURL(url) } catch { throw CAError.badRequest("--url: \(error)") }
            let added = try NotifyCommand.store(store).addNotificationReceiver(receiver, audit: .admin("notify-add"), now: Date())
            if output.json { try printJSON(NotifyCommand.json(added)); return }
            print("receiver \(added.id): \(added.url) (\(added.events.map(\.rawValue).joined(separator: ",")))")
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List receivers: events, backlog (undelivered events), last error, last delivery.")
        @OptionGroup var store: StoreOptions
        @OptionGroup var output: JSONOption

        func run() throws {
            let receivers = try NotifyCommand.store(store).notificationReceivers()
            if output.json { try printJSON(receivers.map(NotifyCommand.json)); return }
            for r in receivers {
                var line = "\(r.id)\t\(r.url)\t\(r.events.map(\.rawValue).joined(separator: ","))\tbacklog=\(r.backlog)"
                line += "\tdelivered=\(r.delivered)\tlast_delivery=\(r.lastDeliveredAt ?? "-")"
                if let e = r.lastError, r.failures > 0 {
                    line += "\tfailures=\(r.failures)\tnext_attempt=\(r.nextAttemptAt ?? "-")\tlast_error=\(TextOutput.safe(e))"
                }
                print(line)
            }
        }
    }

    struct Remove: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Remove a receiver (its undelivered events are dropped).")
        @OptionGroup var store: StoreOptions
        @Option(help: ArgumentHelp("The receiver's id (notify list).", valueName: "ID")) var id: Int64?
        @Option(help: ArgumentHelp("The receiver's URL, exactly as added.", valueName: "URL")) var url: String?

        func validate() throws {
            guard (id == nil) != (url == nil) else { throw ValidationError("give one of --id and --url") }
        }

        func run() throws {
            let s = try NotifyCommand.store(store)
            var target = id
            if let url {
                guard let r = try s.notificationReceivers().first(where: { $0.url == url }) else {
                    throw CAError.notFound("no receiver with this URL")
                }
                target = r.id
            }
            guard let target else { throw CAError.badRequest("give one of --id and --url") }
            let dropped = try s.removeNotificationReceiver(id: target, audit: .admin("notify-remove"), now: Date())
            print("removed receiver \(target); \(dropped) undelivered event(s) dropped")
        }
    }

    struct Run: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Deliver pending events: one pass with --once (for cron), else until stopped (SIGTERM).",
            discussion: """
                With --once, each receiver with a backlog is tried now (its back-off is not \
                waited for); exits 1 when a receiver failed (its error is in `notify list`).
                """)
        @OptionGroup var store: StoreOptions
        @Flag(help: "One pass, then exit.") var once = false

        func run() throws {
            if once {
                let deliverer = NotificationDeliverer(store: try NotifyCommand.store(store), transport: CurlNotificationTransport(),
                                                      log: { warn($0) })
                let result = try deliverer.runOnce(ignoringBackoff: true)
                let pruned = try deliverer.prune()
                print("delivered \(result.delivered) event(s); \(result.failures.count) receiver(s) failed; "
                      + "\(result.busy) held by another deliverer; \(pruned) delivered event(s) pruned")
                if !result.failures.isEmpty { throw ExitCode(1) }
                return
            }
            // SIGTERM/SIGINT blocked in every thread and awaited here: a stop frees the lease.
            var signals = sigset_t()
            sigemptyset(&signals)
            sigaddset(&signals, SIGTERM)
            sigaddset(&signals, SIGINT)
            pthread_sigmask(SIG_BLOCK, &signals, nil)
            let options = store
            let loop = NotificationLoop { try NotifyCommand.store(options) }
            loop.start()
            var received: Int32 = 0
            sigwait(&signals, &received)
            loop.finish(waiting: NotificationDeliverer.timeoutSeconds + 2)
        }
    }
}
