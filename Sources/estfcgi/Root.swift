import ArgumentParser
import ESTCA
import Foundation

struct EstfcgiCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "estfcgi",
        abstract: "EST (RFC 7030) certificate enrollment responder for nginx and Apache, with its CA store.",
        subcommands: [Init.self, CA.self, ProfileCommand.self, Cert.self, Audit.self, Serve.self])

    /// Like `main()`, but every failure is exactly one line (no usage dump), so that
    /// operators' scripts can log it.
    static func main_() {
        do {
            var command = try parseAsRoot()
            try command.run()
        } catch let e as CAError {
            fail(e.reason, code: 1)
        } catch {
            if exitCode(for: error) == .success { exit(withError: error) }
            let message = fullMessage(for: error).split(separator: "\n").first.map(String.init) ?? "\(error)"
            fail(message.hasPrefix("Error: ") ? String(message.dropFirst(7)) : message, code: exitCode(for: error).rawValue)
        }
    }

    static func fail(_ message: String, code: Int32) -> Never {
        let line = "estfcgi: error: \(message)\n"
        line.withCString { _ = write(2, $0, strlen($0)) }
        Foundation.exit(code == 0 ? 1 : code)
    }
}

/// Options every store command takes.
struct StoreOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("The SQLite store file (or ESTFCGI_DB).", valueName: "FILE"))
    var db: String?

    @Option(name: .long, help: ArgumentHelp("File holding the CA key passphrase (or ESTFCGI_KEY_PASSPHRASE_FILE).", valueName: "FILE"))
    var keyPassphraseFile: String?

    var path: String {
        get throws {
            if let db, !db.isEmpty { return db }
            if let env = ProcessInfo.processInfo.environment["ESTFCGI_DB"], !env.isEmpty { return env }
            throw CAError.badRequest("no store: pass --db FILE or set ESTFCGI_DB")
        }
    }

    func open(create: Bool = false) throws -> SQLiteCAStore {
        try SQLiteCAStore(path: try path, create: create, passphrase: try KeyPassphrase.load(file: keyPassphraseFile))
    }
}

struct JSONOption: ParsableArguments {
    @Flag(name: .long, help: "Print JSON (fields named as in the store).")
    var json = false
}

func printJSON(_ value: Any) throws {
    let data = try JSONSerialization.data(withJSONObject: value, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
    print(String(decoding: data, as: UTF8.self))
}

/// `a,b,c` lists, empty items dropped.
func list(_ s: String?) -> [String]? {
    s.map { $0.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty } }
}

func readFile(_ path: String, what: String) throws -> Data {
    guard let data = FileManager.default.contents(atPath: path) else {
        throw CAError.badRequest("cannot read \(what) file \(path)")
    }
    return data
}

func nullable(_ v: Any?) -> Any { v ?? NSNull() }

struct Init: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Create the store (idempotent).")
    @OptionGroup var store: StoreOptions

    func run() throws {
        let s = try store.open(create: true)
        print("store \(try store.path) ready (schema version \(s.schemaVersion))")
    }
}

struct Audit: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Show the most recent audit records.")
    @OptionGroup var store: StoreOptions
    @OptionGroup var output: JSONOption
    @Option(help: "How many records.") var limit = 50

    func run() throws {
        let rows = try store.open().auditRows(limit: limit)
        let keys = ["id", "time", "operation", "profile", "client", "status", "outcome", "reason", "serial"]
        if output.json {
            try printJSON(rows.map { row in
                Dictionary(uniqueKeysWithValues: keys.map { k -> (String, Any) in
                    switch row[k] {
                    case .integer(let v): return (k, v)
                    case .text(let v): return (k, v)
                    default: return (k, NSNull())
                    }
                })
            })
        } else {
            for row in rows {
                print([row.string("time") ?? "", row.string("operation") ?? "", row.string("profile") ?? "-",
                       row.int("status").map(String.init) ?? "-", row.string("outcome") ?? "",
                       row.string("client") ?? "-", row.string("reason") ?? ""].joined(separator: "\t"))
            }
        }
    }
}
