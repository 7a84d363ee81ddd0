import ArgumentParser
import ESTCA
import ESTCore
import ESTOpenSSL
import Foundation

struct CA: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ca", abstract: "Create, import, list and export CAs.",
        subcommands: [Create.self, Import.self, List.self, Export.self, Disable.self, Enable.self, OCSPSigner.self, Rollover.self, Renew.self, RekeyProtection.self])

    struct Create: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create a self-signed root, or an intermediate signed by --issuer.")
        @OptionGroup var store: StoreOptions
        @Option var name: String
        @Option(help: "RFC 4514 subject, most specific first: 'CN=Example Root,O=Example'.") var subject: String
        @Option(help: ArgumentHelp("Key type: \(KeyType.names).")) var key: String = "ec-p256"
        @Option(help: "Validity in days.") var days: Int = 3650
        @Option(help: "Name of the store CA that signs this one (default: self-signed root).") var issuer: String?
        @Option(help: "basicConstraints pathLenConstraint.") var pathLen: Int?
        @OptionGroup var token: PKCS11KeyOptions
        @OptionGroup var output: JSONOption

        func run() throws {
            if let reference = try token.reference() {
                let ca = try store.administration().createCA(name: name, subject: subject, tokenKey: reference, days: days, issuer: issuer,
                                                             pathLength: pathLen)
                if output.json { try printJSON(caJSON(ca)) } else { print(ca.certificate.pem, terminator: "") }
                return
            }
            guard let type = KeyType(rawValue: key) else { throw CAError.badRequest("--key must be one of \(KeyType.names)") }
            let ca = try store.administration().createCA(name: name, subject: subject, keyType: type, days: days, issuer: issuer, pathLength: pathLen)
            if output.json { try printJSON(caJSON(ca)) } else { print(ca.certificate.pem, terminator: "") }
        }
    }

    struct Import: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Import an existing CA; without --key it is a trust anchor only.")
        @OptionGroup var store: StoreOptions
        @Option var name: String
        @Option(help: ArgumentHelp("CA certificate PEM file.", valueName: "PEM")) var cert: String
        @Option(help: ArgumentHelp("CA private key PEM file (stored encrypted).", valueName: "PEM")) var key: String?
        @Option(help: ArgumentHelp("File with the passphrase of an encrypted --key.", valueName: "FILE")) var keyInPassphraseFile: String?
        @Option(help: ArgumentHelp("PEM of the certificates above this CA, up to the root.", valueName: "PEM")) var chain: String?
        @OptionGroup var token: PKCS11KeyOptions
        @OptionGroup var output: JSONOption

        func run() throws {
            let admin = try store.administration()
            if let reference = try token.reference() {
                guard key == nil else { throw CAError.badRequest("give --key or --pkcs11-key, not both") }
                let certPEM = String(decoding: try readFile(cert, what: "--cert"), as: UTF8.self)
                let chainPEM = try chain.map { String(decoding: try readFile($0, what: "--chain"), as: UTF8.self) }
                let ca = try admin.importCA(name: name, certificatePEM: certPEM, tokenKey: reference, chainPEM: chainPEM)
                if output.json { try printJSON(caJSON(ca)) } else { print("imported CA '\(ca.name)' \(ca.certificate.subject) (key in PKCS#11 token)") }
                return
            }
            let certPEM = String(decoding: try readFile(cert, what: "--cert"), as: UTF8.self)
            let keyPEM = try key.map { String(decoding: try readFile($0, what: "--key"), as: UTF8.self) }
            let chainPEM = try chain.map { String(decoding: try readFile($0, what: "--chain"), as: UTF8.self) }
            let inPass = try keyInPassphraseFile.map { try PassphraseFile.read($0) }
            let ca = try admin.importCA(name: name, certificatePEM: certPEM, keyPEM: keyPEM, keyPassphrase: inPass, chainPEM: chainPEM)
            if output.json { try printJSON(caJSON(ca)) } else { print("imported CA '\(ca.name)' \(ca.certificate.subject)") }
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the CAs in the store.")
        @OptionGroup var store: StoreOptions
        @OptionGroup var output: JSONOption

        func run() throws {
            let db = try store.openStore()
            let cas = try db.allCAs()
            let generations = Dictionary(grouping: try db.caGenerations(ofCA: nil), by: { ByteName($0.caName) })
            if output.json {
                try printJSON(cas.map { ca in
                    var json = caJSON(ca)
                    let gs = generations[ByteName(ca.name)] ?? []
                    json["generations"] = CAGenerationListing(ca: ca, generations: gs).json
                    json["rollover_in_progress"] = gs.contains(where: \.inOverlap)
                    return json
                })
                return
            }
            // Where each key lives, as a last column, once a key is in a token or a CA has
            // earlier generations: a store without either lists as it always did.
            let keyColumn = cas.contains { $0.tokenKey != nil } || !generations.isEmpty
            for ca in cas {
                let c = ca.certificate
                print(([ca.name, ca.hasKey ? "issuer" : "trust-only", ca.status.rawValue, Timestamp.string(c.notAfter),
                        c.subject.string] + (keyColumn ? ["key: \(ca.keyLocation)"] : [])).joined(separator: "\t"))
                // Its generations, indented below it (a line per certificate, newest first).
                if let gs = generations[ByteName(ca.name)], !gs.isEmpty {
                    for line in CAGenerationListing(ca: ca, generations: gs).lines { print("  " + line) }
                }
            }
        }
    }

    struct Export: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print the CA certificate then its chain up to the root (PEM).")
        @OptionGroup var store: StoreOptions
        @Option var name: String

        func run() throws { print(try store.administration().exportPEM(name: name), terminator: "") }
    }

    struct Disable: SetsCAStatus {
        static let configuration = CommandConfiguration(abstract: "Stop a CA from issuing (it stays trusted and listed).")
        static let status = CAStatus.disabled
        @OptionGroup var store: StoreOptions
        @Option var name: String
    }

    struct Enable: SetsCAStatus {
        static let configuration = CommandConfiguration(abstract: "Let a disabled CA issue again.")
        static let status = CAStatus.active
        @OptionGroup var store: StoreOptions
        @Option var name: String
    }
}

extension CA {
    struct OCSPSigner: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "ocsp-signer",
            abstract: "Issue or rotate a CA's delegated OCSP responder certificate (or let the CA sign its OCSP responses itself).",
            discussion: """
                The responder certificate (RFC 6960 §4.2.2.2: EKU OCSPSigning, id-pkix-ocsp-nocheck) gets a new
                software key, stored encrypted like CA keys. Every responder uses it from its next answer.
                `serve` issues one at start for each CA with a key that has none, and renews it hourly once past
                2/3 of its life; a CGI responder never signs one itself and answers tryLater without it.
                """)
        @OptionGroup var store: StoreOptions
        @Option var name: String
        @Option(help: "Validity of the responder certificate in days (1-365).") var days: Int = CAAdministration.ocspSignerDays
        @Option(help: ArgumentHelp("Key type: \(KeyType.names).")) var key: String = "ec-p256"
        @Option(help: ArgumentHelp("Hours from an answer to its nextUpdate (1-168; default: as before, else 24).", valueName: "HOURS")) var ocspValidity: Int?
        @Flag(help: "Sign OCSP responses with the CA key itself (no delegated responder; the key is used per answer).") var direct = false
        @OptionGroup var output: JSONOption

        func run() throws {
            guard let type = KeyType(rawValue: key) else { throw CAError.badRequest("--key must be one of \(KeyType.names)") }
            let record = try store.administration().issueOCSPSigner(ca: name, days: days, keyType: type, validityHours: ocspValidity,
                                                                    direct: direct)
            if output.json {
                try printJSON([
                    "ca": record.ca, "direct": record.isDirect, "validity_hours": record.validityHours,
                    "serial": nullable(record.certificate?.serialHex), "subject": nullable(record.certificate?.subject.string),
                    "not_after": nullable(record.certificate.map { Timestamp.string($0.notAfter) }),
                ])
            } else if let cert = record.certificate {
                print(cert.pem, terminator: "")
            } else {
                print("CA '\(record.ca)' signs its OCSP responses itself")
            }
        }
    }
}

/// `ca disable` and `ca enable`: one run for both.
protocol SetsCAStatus: ParsableCommand {
    static var status: CAStatus { get }
    var store: StoreOptions { get }
    var name: String { get }
}

extension SetsCAStatus {
    func run() throws {
        try store.administration().setStatus(Self.status, ofCA: name)
        print("\(Self.status == .active ? "enabled" : "disabled") CA '\(name)'")
    }
}


func caJSON(_ ca: CARecord) -> [String: Any] {
    let c = ca.certificate
    return [
        "name": ca.name, "subject": c.subject.string, "issuer": c.issuer.string, "serial": c.serialHex,
        "not_before": Timestamp.string(c.notBefore), "not_after": Timestamp.string(c.notAfter),
        "fingerprint": c.fingerprint.hexString, "status": ca.status.rawValue, "has_key": ca.hasKey,
        "path_len": nullable(c.pathLength), "chain_length": ca.chain.count, "created_at": ca.createdAt,
        "key": ca.keyLocation, "pkcs11_uri": nullable(ca.tokenKey?.uriText), "pkcs11_module": nullable(ca.tokenKey?.module),
    ]
}
