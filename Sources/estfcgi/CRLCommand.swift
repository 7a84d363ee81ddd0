import ArgumentParser
import ESTCA
import ESTCore
import ESTOpenSSL
import Foundation

/// `estfcgi crl --ca NAME`: signs the CA's next CRL, records it (the responder serves the
/// latest at /.well-known/est/[LABEL/]crl) and writes it out.
struct CRLCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "crl",
        abstract: "Sign and publish a CA's next CRL (RFC 5280 §5); the responder serves it at /.well-known/est/[LABEL/]crl.")
    @OptionGroup var store: StoreOptions
    @Option(help: "The CA whose revocations it lists (and whose key signs it).") var ca: String
    @Option(help: ArgumentHelp("Write it to FILE (a regular file, replaced atomically) instead of stdout ('-').", valueName: "FILE")) var out: String?
    @Option(help: ArgumentHelp("Hours until its nextUpdate (default 24).", valueName: "HOURS")) var nextUpdate = 24
    @Flag(help: "PEM instead of DER.") var pem = false
    @Option(help: ArgumentHelp("Also write each key's CRL (DER, or PEM with --pem) into DIR as CA.crl (the CA's first key) and CA(N).crl (its N-th later key, after ca rollover / ca renew --new-key): the names {ca}.crl takes in a static-file --crl-url.", valueName: "DIR")) var outDir: String?
    @Option(help: ArgumentHelp("Also write the CRLs that each earlier key of the CA (ca rollover, ca renew --new-key) signs of the certificates it signed (always recorded and served at /crl/NAME(N)) to FILE (PEM).", valueName: "FILE")) var previousKeyOut: String?

    func run() throws {
        // Checked before a CRL number is spent: the file is replaced by rename(), which must
        // never take the place of a device, a symlink or a directory (`--out /dev/null` as root).
        let out = self.out == "-" ? nil : self.out
        if let out { try Self.checkTarget(out, option: "--out") }
        if let previousKeyOut { try Self.checkTarget(previousKeyOut, option: "--previous-key-out") }
        let admin = try store.administration()
        // --out-dir: the file of each key, named as `{ca}` in its certificates' URL.
        var dirFile: ((Int) -> String)? = nil
        if let outDir {
            var isDir: ObjCBool = false
            guard FileManager.default.fileExists(atPath: outDir, isDirectory: &isDir), isDir.boolValue, access(outDir, W_OK) == 0 else {
                throw CAError.badRequest("--out-dir \(outDir) is not a directory this user can write")
            }
            guard CRLIssuerPath.isURLSafe(ca) else { throw CAError.badRequest("--out-dir: CA names in file names must be of [A-Za-z0-9._~-]") }
            let name = ca
            dirFile = { URL(fileURLWithPath: outDir).appendingPathComponent(CRLIssuerPath.segment(issuer: name, keyIndex: $0) + ".crl").path }
        }
        let history = try admin.keyHistory(ca: ca)
        if let dirFile { for i in history.keys.indices { try Self.checkTarget(dirFile(i), option: "--out-dir") } }
        let (record, crl) = try admin.publishCRL(ca: ca, nextUpdateHours: nextUpdate)
        if let dirFile { try Self.write(crl, pem: pem, to: dirFile(history.currentIndex), record: record, ca: ca) }
        let bytes = pem ? Data(crl.pem.utf8) : crl.der
        if let out {
            // A web server may serve the file while the timer replaces it: never a half-written one.
            do {
                try AtomicFile.replace(out, with: bytes, mode: 0o644)
            } catch {
                throw CAError.internalFailure("CRL \(record.number) of CA '\(ca)' is recorded (the responder serves it) but was not written to \(out): \((error as? CAError)?.reason ?? error.localizedDescription)")
            }
        } else if outDir == nil {
            FileHandle.standardOutput.write(bytes)
        }
        // RFC 4210 §4.4: each earlier key of the CA (ca rollover, ca renew --new-key) signs the
        // CRL of what it certified until that expires; recorded and served at its key's URL
        // (/crl/NAME or /crl/NAME(N), see CRLIssuerPath), on every run, as the timer runs it.
        let signed: [(keyIndex: Int, crl: CertificateRevocationList)]
        do {
            signed = try admin.previousKeyCRLsByKey(ca: ca, number: record.number, nextUpdateHours: nextUpdate)
        } catch {
            throw CAError.unavailable("CRL \(record.number) of CA '\(ca)' is recorded, but not those of its earlier keys: \((error as? CAError)?.reason ?? "\(error)")")
        }
        let crls = signed.map(\.crl)
        if let dirFile { for s in signed { try Self.write(s.crl, pem: pem, to: dirFile(s.keyIndex), record: record, ca: ca) } }
        if let previousKeyOut {
            do {
                try AtomicFile.replace(previousKeyOut, with: Data(crls.map(\.pem).joined().utf8), mode: 0o644)
            } catch {
                throw CAError.internalFailure("CRL \(record.number) of CA '\(ca)' is recorded, but the CRLs of its earlier keys were not written to \(previousKeyOut): \((error as? CAError)?.reason ?? error.localizedDescription)")
            }
        }
        if previousKeyOut != nil || !crls.isEmpty {
            FileHandle.standardError.write(Data("\(crls.count) CRL(s) of earlier keys of CA '\(ca)' recorded\(previousKeyOut.map { " and written to \($0)" } ?? "")\n".utf8))
        }
        if let written = out ?? dirFile.map({ $0(history.currentIndex) }) {
            print("CRL \(record.number) of CA '\(ca)': \(record.entries) revoked, next update \(record.nextUpdate), written to \(written)")
        }
    }

    /// One CRL into `path`, atomically (a web server may be serving it).
    static func write(_ crl: CertificateRevocationList, pem: Bool, to path: String, record: PublishedCRL, ca: String) throws {
        do {
            try AtomicFile.replace(path, with: pem ? Data(crl.pem.utf8) : crl.der, mode: 0o644)
        } catch {
            throw CAError.internalFailure("CRL \(record.number) of CA '\(ca)' is recorded (the responder serves it) but was not written to \(path): \((error as? CAError)?.reason ?? error.localizedDescription)")
        }
    }

    /// `path` is absent or a regular file (not a link), in a directory we can write.
    static func checkTarget(_ path: String, option: String) throws {
        var st = stat()
        if lstat(path, &st) == 0, st.st_mode & S_IFMT != S_IFREG {
            throw CAError.badRequest("\(option) \(path) exists and is not a regular file" + (option == "--out" ? "; give a file path (or - for stdout)" : ""))
        }
        let dir = URL(fileURLWithPath: path).deletingLastPathComponent().path
        guard access(dir, W_OK) == 0 else { throw CAError.badRequest("\(option): cannot write in \(dir)") }
    }
}
