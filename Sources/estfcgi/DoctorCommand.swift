import ArgumentParser
import ESTCA
import ESTFastCGI
import ESTWebServerConfig
import ESTPostgresStore
import ESTSQLiteStore
import Foundation

/// `estfcgi doctor`: is this store (and web server config) fit to serve? One line per
/// check, OK, WARN or FAIL, with the fix; exit 1 when anything FAILs.
struct Doctor: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Check the store, its passphrase, CAs and profiles (and a web server config): OK/WARN/FAIL with the fix.",
        discussion: "Reads only; exit 0 when nothing FAILs, 1 otherwise.")
    @OptionGroup var store: StoreOptions
    @Option(help: ArgumentHelp("Also check this nginx config (the file with the EST server block).", valueName: "FILE")) var nginxConf: String?
    @Option(help: ArgumentHelp("Also check this Apache config (the file with the EST virtual host).", valueName: "FILE")) var apacheConf: String?
    @OptionGroup var output: JSONOption

    func run() throws {
        let location = try store.location
        var findings: [HealthFinding]
        switch location {
        case .sqlite(let path): findings = StoreInspection.findings(path: path)
        case .postgres(let conninfo): findings = PostgresStoreInspection.findings(conninfo: conninfo)
        }
        // What the store holds is read only from a store the responder would open as it is:
        // opening an older one would migrate it, and a check must not change what it checks.
        let storeUsable = !findings.contains { $0.level == .fail } && !findings.contains { $0.detail.hasPrefix("schema version") && $0.level == .warn }
        if storeUsable {
            var keyring: CAKeyring? = nil
            var problem: String? = nil
            do {
                if let passphrase = try store.passphrase() { keyring = CAKeyring(passphrase: passphrase) }
                else { problem = "no passphrase file given (--key-passphrase-file or ESTFCGI_KEY_PASSPHRASE_FILE)" }
            } catch {
                problem = (error as? CAError)?.reason ?? "\(error)"
            }
            do {
                findings += try HealthCheck(store: try location.open(), keyring: keyring, passphraseProblem: problem,
                                         tokenKeyring: CAKeyring(passphrase: nil, pkcs11: StoreOptions.pkcs11Environment)).findings()
            } catch {
                findings.append(HealthFinding(.fail, "store", "cannot read its CAs and profiles: \((error as? CAError)?.reason ?? "\(error)")"))
            }
        } else {
            findings.append(HealthFinding(.warn, "store", "CAs, profiles and the passphrase not checked until the store's own problems are fixed"))
        }
        if let nginxConf { findings += WebServerConfigCheck.nginx(path: nginxConf) }
        if let apacheConf { findings += WebServerConfigCheck.apache(path: apacheConf) }

        if output.json {
            try printJSON(findings.map { ["level": $0.level.rawValue, "subject": $0.subject, "detail": $0.detail, "fix": $0.fix] })
        } else {
            for f in findings {
                print([f.level.rawValue.padding(toLength: 4, withPad: " ", startingAt: 0), TextOutput.safe(f.subject), TextOutput.safe(f.detail)]
                    .joined(separator: "  "))
                if !f.fix.isEmpty { print("      fix: \(TextOutput.safe(f.fix))") }
            }
            let count = { (l: HealthFinding.Level) in findings.filter { $0.level == l }.count }
            print("doctor: \(count(.ok)) OK, \(count(.warn)) WARN, \(count(.fail)) FAIL")
        }
        if findings.contains(where: { $0.level == .fail }) { throw ExitCode(1) }
    }
}
