import ArgumentParser
import ESTCA
import ESTCore
import ESTOpenSSL
import Foundation

struct Cert: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cert", abstract: "Issue, list, show and revoke certificates.",
        subcommands: [Issue.self, List.self, Show.self, Revoke.self])

    struct Issue: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Sign a CSR offline under a profile's policy (the same code as EST) and print the PEM.")
        @OptionGroup var store: StoreOptions
        @OptionGroup var selector: ProfileSelector
        @Option(help: ArgumentHelp("CSR file: PEM, DER or base64.", valueName: "FILE")) var csr: String

        func run() throws {
            let ca = try store.authority()
            let request: CertificateSigningRequest
            do { request = try CertificateSigningRequest(anyEncoding: try readFile(csr, what: "--csr")) }
            catch let e as CAError { throw e }
            catch { throw CAError.badRequest("malformed CSR: \(error)") }
            let p = try ca.requireProfile(selector.label)
            do {
                // Recorded with its audit row in one transaction.
                let (cert, _) = try ca.issue(csr: request, profile: p, requester: "admin",
                                             audit: .admin("cert-issue", profile: p.label, reason: "issued \(request.subject)"))
                print(cert.pem, terminator: "")
            } catch let e as CAError {
                do { try ca.audit(.admin("cert-issue", profile: p.label, outcome: .refused, reason: e.reason)) }
                catch { warn("audit record not written: \(error)") }
                throw e
            }
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List issued certificates.")
        @OptionGroup var store: StoreOptions
        @Option(name: [.customLong("profile"), .customLong("aps")], help: ArgumentHelp("Only this profile label.", valueName: "LABEL")) var profile: String?
        @Flag(name: .customLong("default"), help: "Only the default profile.") var onlyDefault = false
        @Option(help: "valid, revoked or expired.") var status: String?
        @Option(help: ArgumentHelp("Only valid certificates whose notAfter is within DAYS.", valueName: "DAYS")) var expiringWithin: Int?
        @Option(help: ArgumentHelp("Only the certificates of this registered device.", valueName: "ID")) var device: String?
        @OptionGroup var kind: DeviceKindOption
        @OptionGroup var output: JSONOption

        func run() throws {
            let s = try store.openStore()
            var filter = CertificateFilter(expiringWithinDays: expiringWithin)
            if let device { filter.device = try s.device(named: device, kind: try kind.parsed()).key }
            if onlyDefault { filter.profile = .defaultProfile } else if let profile { filter.profile = .label(profile) }
            if let status {
                guard let s = CertificateStatus(rawValue: status) else { throw CAError.badRequest("status must be valid, revoked or expired") }
                filter.status = s
            }
            let now = Date()
            let certs = try s.issuedCertificates(matching: filter, now: now)
            if output.json { try printJSON(certs.map { certJSON($0, pem: false, now: now) }); return }
            for c in certs {
                print([c.serial, c.effectiveStatus(at: now).rawValue, c.profile ?? "(default)", c.notAfter,
                       TextOutput.safe(c.subject)].joined(separator: "\t"))
            }
        }
    }

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show one certificate by serial (hex, any case, colons allowed).")
        @OptionGroup var store: StoreOptions
        @Argument var serial: String
        @OptionGroup var output: JSONOption

        func run() throws {
            guard let normalized = Serial.normalize(serial) else { throw CAError.badRequest("'\(serial)' is not a hex serial") }
            let matches = try store.openStore().issuedCertificates(serial: normalized)
            guard let c = matches.first else { throw CAError.notFound("no certificate with serial \(normalized)") }
            if output.json { try printJSON(matches.count == 1 ? certJSON(c, pem: true) : matches.map { certJSON($0, pem: true) }); return }
            for m in matches {
                let j = certJSON(m, pem: false)
                printFields(j)
                print(PEM.encode(m.der, label: "CERTIFICATE"), terminator: "")
            }
        }
    }

    struct Revoke: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Revoke a certificate.")
        @OptionGroup var store: StoreOptions
        @Argument var serial: String
        @Option(help: ArgumentHelp("RFC 5280 reason: \(RevocationReason.allCases.map(\.rawValue).joined(separator: "|")).")) var reason = "unspecified"
        @OptionGroup var output: JSONOption

        func run() throws {
            guard let r = RevocationReason(rawValue: reason) else {
                throw CAError.badRequest("--reason must be one of \(RevocationReason.allCases.map(\.rawValue).joined(separator: ","))")
            }
            // The certificate, then any successor re-enrolled from it (revoked with it).
            let revoked = try store.administration().revoke(serial: serial, reason: r)
            let asked = Serial.normalize(serial)
            let successors = revoked.filter { $0.serial != asked }
            if output.json {
                var j = certJSON(revoked.first { $0.serial == asked } ?? revoked[0], pem: false)
                if !successors.isEmpty { j["successors_revoked"] = successors.map(\.serial) }
                try printJSON(j)
                return
            }
            if successors.count == revoked.count { print("\(asked ?? serial) was already revoked") }
            for c in revoked { print("revoked \(c.serial) (\(r.rawValue))" + (c.serial == asked ? "" : ", a successor of \(asked ?? serial)")) }
        }
    }
}

func certJSON(_ c: IssuedCertificate, pem: Bool, now: Date = Date()) -> [String: Any] {
    var j: [String: Any] = [
        "serial": c.serial, "issuer": c.issuer, "profile": nullable(c.profile), "subject": c.subject, "sans": c.sans,
        "not_before": c.notBefore, "not_after": c.notAfter, "fingerprint": c.fingerprint, "status": c.effectiveStatus(at: now).rawValue,
        "revoked_at": nullable(c.revokedAt), "revocation_reason": nullable(c.revocationReason?.rawValue),
        "replaces": nullable(c.replacesSerial), "requester": nullable(c.requester), "issued_at": c.issuedAt,
    ]
    if pem { j["pem"] = PEM.encode(c.der, label: "CERTIFICATE") }
    return j
}
