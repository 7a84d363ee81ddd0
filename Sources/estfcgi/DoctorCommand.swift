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
        abstract: "Check the store, its key file or passphrase, CAs and profiles (and a web server config): OK/WARN/FAIL with the fix.",
        discussion: "Reads only; exit 0 when nothing FAILs, 1 otherwise.")
    @OptionGroup var store: StoreOptions
    @Option(help: ArgumentHelp("Also check this nginx config (the file with the EST server block).", valueName: "FILE")) var nginxConf: String?
    @Option(help: ArgumentHelp("Also check this Apache config (the file with the EST virtual host).", valueName: "FILE")) var apacheConf: String?
    @OptionGroup var output: JSONOption
    /// Internal: the check of one CA's token key, run by doctor in a process of its own.
    @Option(name: .customLong("token-key-of-ca"), help: .hidden) var tokenKeyOfCA: String?
    /// Internal, with --token-key-of-ca: the certificate (SHA-256 fingerprint) whose token key
    /// to check, the CA's current one or an earlier generation's.
    @Option(name: .customLong("token-key-fingerprint"), help: .hidden) var tokenKeyFingerprint: String?

    func run() throws {
        if let tokenKeyOfCA { return try checkTokenKeyHere(tokenKeyOfCA) }
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
            var passphrase: String? = nil
            var keyFile: KeyFile? = nil
            var keyFileProblem: String? = nil
            var earlier: [String] = []
            do {
                let readings = try store.passphraseReadings()
                passphrase = readings?.passphrase
                earlier = readings?.earlier ?? []
            } catch { problem = (error as? CAError)?.reason ?? "\(error)" }
            do { keyFile = try store.readKeyFile() } catch { keyFileProblem = (error as? CAError)?.reason ?? "\(error)" }
            // No passphrase is a problem only without a key file: keys under the passphrase
            // then each say that they need it.
            if passphrase == nil, problem == nil, store.keyFilePath == nil {
                problem = "no passphrase file given (--key-passphrase-file or ESTFCGI_KEY_PASSPHRASE_FILE)"
            }
            if passphrase != nil || keyFile != nil { keyring = CAKeyring(passphrase: passphrase, earlierPassphrases: earlier, keyFile: keyFile) }
            do {
                let db = try store.path
                findings += try HealthCheck(store: try location.open(), keyring: keyring, passphraseProblem: problem, keyFileProblem: keyFileProblem,
                                            tokenCheck: { ca, _ in Self.tokenFindingInChild(ca, db: db) }).findings()
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

    /// The token-key finding of CA `name`, as one JSON object on stdout.
    private func checkTokenKeyHere(_ name: String) throws {
        let db = try store.location.open()
        guard var ca = try db.ca(named: name) else { throw CAError.notFound("no CA '\(name)' with a token key") }
        if let fingerprint = tokenKeyFingerprint, ca.certificate.fingerprint.hexString != fingerprint {
            guard let g = try db.caGenerations(ofCA: name).first(where: { $0.certificate.fingerprint.hexString == fingerprint }) else {
                throw CAError.notFound("no certificate \(fingerprint) of CA '\(name)'")
            }
            ca = try CARecord(generation: g, of: ca)
        }
        guard let reference = ca.tokenKey else { throw CAError.notFound("no CA '\(name)' with a token key") }
        let f = HealthCheck.tokenFinding(ca, reference, CAKeyring(passphrase: nil, pkcs11: StoreOptions.pkcs11Environment))
        try printJSON(["level": f.level.rawValue, "detail": f.detail, "fix": f.fix])
    }

    /// Each token key is checked by a fresh `estfcgi doctor --token-key-of-ca`: a process that
    /// logged in to a token once stays logged in, and would take a wrong PIN for a second key.
    static func tokenFindingInChild(_ ca: CARecord, db: String) -> HealthFinding {
        let subject = "ca \(ca.name)"
        let process = Process()
        let out = Pipe()
        do {
            process.executableURL = URL(fileURLWithPath: try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe"))
            process.arguments = ["doctor", "--db", db, "--token-key-of-ca", ca.name, "--token-key-fingerprint", ca.certificate.fingerprint.hexString]
            process.standardInput = FileHandle.nullDevice
            process.standardOutput = out
            process.standardError = FileHandle.nullDevice
            try process.run()
        } catch {
            return HealthFinding(.fail, subject, "cannot start the check of its token key: \(error)", fix: "run estfcgi doctor again")
        }
        let data = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard let object = try? JSONSerialization.jsonObject(with: data) as? [String: String],
              let level = object["level"].flatMap(HealthFinding.Level.init(rawValue:)), let detail = object["detail"] else {
            return HealthFinding(.fail, subject, "the check of its token key ended without a finding (exit \(process.terminationStatus))",
                                 fix: "run estfcgi doctor --token-key-of-ca \(ca.name) to see why")
        }
        return HealthFinding(level, subject, detail, fix: object["fix"] ?? "")
    }
}
