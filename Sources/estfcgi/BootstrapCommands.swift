import ArgumentParser
import ESTCA
import Foundation

struct Bootstrap: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Deny or allow single bootstrap (factory) certificates without distrusting their CA.",
        subcommands: [Deny.self, Allow.self, List.self])

    /// `SERIAL|FINGERPRINT --issuer CA`: which bootstrap certificate.
    struct Target: ParsableArguments {
        @Argument(help: "Serial (hex, any case, colons allowed) or SHA-256 fingerprint (64 hex digits).") var certificate: String
        @Option(help: "The store CA that issued it (e.g. the factory CA).") var issuer: String
    }

    struct Deny: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Refuse a bootstrap certificate for every first enrollment.")
        @OptionGroup var store: StoreOptions
        @OptionGroup var target: Target
        @Option(help: "Why (kept with the denial and in the audit).") var reason = ""

        func run() throws {
            let key = try BootstrapDenial.key(parsing: target.certificate)
            try store.administration().denyBootstrap(key, issuer: target.issuer, reason: reason)
            print("denied \(key) of CA '\(target.issuer)'")
        }
    }

    struct Allow: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Lift a denial.")
        @OptionGroup var store: StoreOptions
        @OptionGroup var target: Target

        func run() throws {
            let key = try BootstrapDenial.key(parsing: target.certificate)
            try store.administration().allowBootstrap(key, issuer: target.issuer)
            print("allowed \(key) of CA '\(target.issuer)'")
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List denied bootstrap certificates.")
        @OptionGroup var store: StoreOptions
        @OptionGroup var output: JSONOption

        func run() throws {
            let denials = try store.openStore().bootstrapDenials()
            func fields(_ d: BootstrapDenial) -> (kind: String, value: String) {
                switch d.key {
                case .serial(let s): return ("serial", s)
                case .fingerprint(let f): return ("fingerprint", f)
                }
            }
            if output.json {
                try printJSON(denials.map { d -> [String: Any] in
                    let f = fields(d)
                    return ["issuer": d.issuer, f.kind: f.value, "reason": d.reason, "created_at": d.createdAt]
                })
                return
            }
            for d in denials {
                let f = fields(d)
                print([d.issuer, f.kind, f.value, d.createdAt, TextOutput.safe(d.reason)].joined(separator: "\t"))
            }
        }
    }
}
