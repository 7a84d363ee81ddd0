import ESTCore
import ESTOpenSSL
import Foundation

/// `estfcgi doctor`'s look at what the store holds: the passphrase against every CA key,
/// each CA's validity and chain, each profile's CAs. Reads only.
public struct HealthCheck {
    /// A CA expiring sooner than this is a warning.
    public static let warningDays = 30

    let store: any CAStore
    /// Nil when no passphrase could be read (`passphraseProblem` says why).
    let keyring: CAKeyring?
    let passphraseProblem: String?
    let now: Date

    public init(store: any CAStore, keyring: CAKeyring?, passphraseProblem: String?, now: Date = Date()) {
        self.store = store
        self.keyring = keyring
        self.passphraseProblem = passphraseProblem
        self.now = now
    }

    public func findings() throws -> [HealthFinding] {
        let cas = try store.allCAs()
        var out: [HealthFinding] = []
        if let passphraseProblem {
            let level: HealthFinding.Level = cas.contains(where: \.hasKey) ? .fail : .warn
            out.append(HealthFinding(level, "passphrase", passphraseProblem,
                                     fix: "set ESTFCGI_KEY_PASSPHRASE_FILE (or --key-passphrase-file) to a file of mode 600 holding the store passphrase"))
        }
        for ca in cas { out += findings(for: ca) }
        for profile in try store.allProfiles() { out += findings(for: profile, cas: cas) }
        return out
    }

    func days(until date: Date) -> Int { Int((date.timeIntervalSince(now) / 86400).rounded(.down)) }

    func findings(for ca: CARecord) -> [HealthFinding] {
        let subject = "ca \(ca.name)"
        var out: [HealthFinding] = []
        if ca.hasKey, let keyring {
            do {
                _ = try keyring.signingKey(for: ca)
                if ca.keyProtection != PrivateKey.keyProtection {
                    out.append(HealthFinding(.warn, subject, "key decrypts, but is protected by \(ca.keyProtection ?? "an older scheme")",
                                             fix: "estfcgi init (re-encrypts it as \(PrivateKey.keyProtection))"))
                } else {
                    out.append(HealthFinding(.ok, subject, "key decrypts with the passphrase"))
                }
            } catch {
                out.append(HealthFinding(.fail, subject, "key does not decrypt with this passphrase",
                                         fix: "use the passphrase file the store was made with"))
            }
        }
        let left = days(until: ca.certificate.notAfter)
        let end = Timestamp.string(ca.certificate.notAfter)
        if ca.certificate.notAfter <= now {
            out.append(HealthFinding(.fail, subject, "expired \(end)", fix: "create a new CA and move its profiles to it (profile update --issuer)"))
        } else if left < Self.warningDays {
            out.append(HealthFinding(.warn, subject, "expires in \(left) days (\(end))",
                                     fix: "create its successor now and move profiles to it (profile update --issuer)"))
        } else {
            out.append(HealthFinding(.ok, subject, "valid for \(left) more days\(ca.status == .disabled ? " (disabled)" : "")"))
        }
        // The chain must climb, signature by signature, to a self-issued root.
        let path = [ca.certificate] + ca.chain
        let broken = zip(path, path.dropFirst()).first { child, parent in !child.isSigned(by: parent) }
        if let (child, _) = broken {
            out.append(HealthFinding(.fail, subject, "chain broken: \(child.subject) is not signed by the next certificate",
                                     fix: "re-import the CA with its chain (ca import --chain)"))
        } else if let top = path.last, !top.isSelfIssued {
            out.append(HealthFinding(.fail, subject, "chain incomplete: it ends at \(top.subject), issued by \(top.issuer)",
                                     fix: "re-import the CA with its chain up to the root (ca import --chain)"))
        } else {
            out.append(HealthFinding(.ok, subject, "chain complete (\(path.count) certificate\(path.count == 1 ? "" : "s") to the root)"))
        }
        return out
    }

    func findings(for p: Profile, cas: [CARecord]) -> [HealthFinding] {
        let subject = "profile \(p.displayName)"
        var out: [HealthFinding] = []
        func ca(_ name: String) -> CARecord? { cas.first { $0.name == name } }
        // A label made before a path segment was reserved (e.g. `crl`) routes nowhere.
        if let label = p.label, (try? ProfileLabel.validate(label)) == nil {
            out.append(HealthFinding(.fail, subject, "label '\(label)' is reserved or invalid now: no request reaches this profile",
                                     fix: "profile create --profile NEW with the same settings, then profile delete --profile \(label)"))
        }
        if let issuer = ca(p.issuer) {
            if !issuer.hasKey {
                out.append(HealthFinding(.fail, subject, "issuer '\(p.issuer)' has no key and cannot sign", fix: "profile update \(selector(p)) --issuer CA"))
            } else if issuer.status == .disabled {
                out.append(HealthFinding(.fail, subject, "issuer '\(p.issuer)' is disabled: every enrollment fails",
                                         fix: "estfcgi ca enable --name \(p.issuer), or profile update \(selector(p)) --issuer CA"))
            } else if issuer.certificate.notAfter <= now {
                out.append(HealthFinding(.fail, subject, "issuer '\(p.issuer)' has expired", fix: "profile update \(selector(p)) --issuer CA"))
            } else {
                out.append(HealthFinding(.ok, subject, "issuer '\(p.issuer)' can sign"))
            }
        } else {
            out.append(HealthFinding(.fail, subject, "issuer '\(p.issuer)' is not in the store", fix: "profile update \(selector(p)) --issuer CA"))
        }
        if p.auth.requiresCertificate(renewal: false) {
            if p.trust.isEmpty {
                out.append(HealthFinding(.warn, subject, "trusts no CA: every first enrollment is refused (re-enrollment still works)",
                                         fix: "profile update \(selector(p)) --trust CA"))
            }
            for name in p.trust {
                guard let t = ca(name) else {
                    out.append(HealthFinding(.fail, subject, "trust CA '\(name)' is not in the store", fix: "profile update \(selector(p)) --trust CA,.."))
                    continue
                }
                if t.certificate.notAfter <= now {
                    out.append(HealthFinding(.warn, subject, "trust CA '\(name)' has expired: its bootstrap certificates no longer chain",
                                             fix: "profile update \(selector(p)) --trust CA,.."))
                }
            }
        }
        for name in p.cacerts where ca(name) == nil {
            out.append(HealthFinding(.fail, subject, "cacerts CA '\(name)' is not in the store", fix: "profile update \(selector(p)) --cacerts CA,.."))
        }
        for option in p.identity.invalidPatterns {
            out.append(HealthFinding(.fail, subject, "\(option) is not a valid regular expression: every request is refused (500)",
                                     fix: "profile update \(selector(p)) \(option) REGEX (or '' for any)"))
        }
        return out
    }

    func selector(_ p: Profile) -> String { p.label.map { "--profile \($0)" } ?? "--default" }
}
