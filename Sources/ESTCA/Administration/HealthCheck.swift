import ESTCore
import ESTOpenSSL
import Foundation

/// `estfcgi doctor`'s look at what the store holds: the passphrase against every CA key,
/// each CA's validity and chain, each profile's CAs, each notification receiver. Reads only.
public struct HealthCheck {
    /// A CA expiring sooner than this is a warning.
    public static let warningDays = 30

    let store: any CAStore
    /// Nil when neither a passphrase nor a key file could be read (`passphraseProblem` and
    /// `keyFileProblem` say why).
    let keyring: CAKeyring?
    let passphraseProblem: String?
    /// Why the key file named could not be read (nil: none named, or it was read).
    let keyFileProblem: String?
    let now: Date
    /// For CA keys in a PKCS#11 token (no passphrase needed); nil: not checked.
    let tokenKeyring: CAKeyring?
    /// Checks a token key elsewhere than in this process (doctor: a process per key, since a
    /// process logged in to a token once takes any PIN after); nil: with `tokenKeyring`.
    let tokenCheck: ((CARecord, TokenKeyReference) -> HealthFinding)?

    public init(store: any CAStore, keyring: CAKeyring?, passphraseProblem: String?, keyFileProblem: String? = nil, now: Date = Date(),
                tokenKeyring: CAKeyring? = nil, tokenCheck: ((CARecord, TokenKeyReference) -> HealthFinding)? = nil) {
        self.store = store
        self.keyring = keyring
        self.passphraseProblem = passphraseProblem
        self.keyFileProblem = keyFileProblem
        self.now = now
        self.tokenKeyring = tokenKeyring ?? keyring
        self.tokenCheck = tokenCheck
    }

    public func findings() throws -> [HealthFinding] {
        let cas = try store.allCAs()
        var out: [HealthFinding] = []
        let protections = cas.compactMap { $0.encryptedKeyPEM.map { KeyProtection.of(pem: $0) } }
        if let passphraseProblem {
            let level: HealthFinding.Level = protections.contains(.passphrase) ? .fail : .warn
            out.append(HealthFinding(level, "passphrase", passphraseProblem,
                                     fix: "set ESTFCGI_KEY_PASSPHRASE_FILE (or --key-passphrase-file) to a file of mode 600 holding the store passphrase"))
        }
        out += keyProtectionFindings(protections)
        let generations = Dictionary(grouping: try store.caGenerations(ofCA: nil), by: { ByteName($0.caName) })
        for ca in cas { out += findings(for: ca) + generationFindings(for: ca, generations: generations[ByteName(ca.name)] ?? []) }
        let profiles = try store.allProfiles()
        for profile in profiles { out += findings(for: profile, cas: cas) }
        out += crlURLFindings(profiles: profiles)
        out += crlKeyFindings(profiles: profiles, cas: cas, generations: generations)
        out += try notificationFindings()
        return out
    }

    func days(until date: Date) -> Int { Int((date.timeIntervalSince(now) / 86400).rounded(.down)) }

    func findings(for ca: CARecord) -> [HealthFinding] {
        let subject = "ca \(ca.name)"
        var out: [HealthFinding] = []
        if let reference = ca.tokenKey {
            if let tokenCheck { out.append(tokenCheck(ca, reference)) }
            else if let tokenKeyring { out.append(Self.tokenFinding(ca, reference, tokenKeyring)) }
        } else if let pem = ca.encryptedKeyPEM, KeyProtection.of(pem: pem) == .keyFile {
            out.append(sealedKeyFinding(ca, pem))
        } else if ca.hasKey, let keyring, passphraseProblem == nil, !keyring.hasPassphrase {
            out.append(HealthFinding(.fail, subject, "key is under the passphrase (\(ca.keyProtection ?? "an older scheme")), and none was given",
                                     fix: "set ESTFCGI_KEY_PASSPHRASE_FILE (or --key-passphrase-file), or move the key: estfcgi ca rekey-protection --to key-file"))
        } else if ca.hasKey, let keyring, keyring.hasPassphrase {
            do {
                _ = try keyring.signingKey(for: ca)
                if KeyProtection(rawValue: ca.keyProtection ?? "") == nil {
                    out.append(HealthFinding(.warn, subject, "key decrypts, but is protected by \(ca.keyProtection ?? "an older scheme")",
                                             fix: "estfcgi init (re-encrypts it as \(KeyProtection.passphrase.rawValue))"))
                } else {
                    out.append(HealthFinding(.ok, subject, "key decrypts with the passphrase (\(KeyProtection.passphrase.rawValue))"))
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
                                     fix: "create its successor now and move profiles to it (profile update --issuer, with a --crl-url naming the CA by {ca})"))
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
        func ca(_ name: String) -> CARecord? { cas.first { ByteName.same($0.name, name) } }
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
        out += authorizationHookFindings(p, subject: subject)
        return out
    }

    /// RFC 5280 §4.2.1.13: the CRL distribution point in each valid certificate must serve
    /// its issuer's CRL for as long as the certificate is valid. A URL of this server names
    /// its CA (`/crl/{CA}`, or a label whose `/LABEL/crl` serves a known CA); any other URL
    /// serves one CA's CRL, so certificates of two CAs cannot share it.
    func crlURLFindings(profiles: [Profile]) -> [HealthFinding] {
        guard let certs = try? store.issuedCertificates(matching: CertificateFilter(status: .valid), now: now) else { return [] }
        var issuersByURL: [String: [String: Int]] = [:]
        for c in certs {
            guard let cert = try? Certificate(der: c.der) else { continue }
            for url in cert.crlDistributionPointURIs { issuersByURL[url, default: [:]][c.issuer, default: 0] += 1 }
        }
        var out: [HealthFinding] = []
        for (url, issuers) in issuersByURL.sorted(by: { $0.key < $1.key }) {
            let counts = issuers.sorted { $0.key < $1.key }.map { "\($0.value) of CA '\($0.key)'" }.joined(separator: ", ")
            let fix = "profile update (--profile L | --default) --crl-url 'https://HOST/.well-known/est/crl/{ca}' (the URL then names "
                + "each certificate's issuer); have the devices concerned re-enroll (simplereenroll) to carry it"
            if let served = Self.caServed(at: url, profiles: profiles) {
                let wrong = issuers.filter { $0.key != served }
                if !wrong.isEmpty {
                    out.append(HealthFinding(.fail, "crl url \(url)", "serves the CRL of CA '\(served)', but valid certificates of "
                                             + "other CAs carry it (\(counts)): they can never be listed as revoked", fix: fix))
                }
            } else if issuers.count > 1 {
                out.append(HealthFinding(.fail, "crl url \(url)", "one URL serves one CA's CRL, but valid certificates of several "
                                         + "CAs carry it (\(counts)): some can never be listed as revoked", fix: fix))
            }
        }
        if out.isEmpty, !issuersByURL.isEmpty {
            out.append(HealthFinding(.ok, "crl urls", "each of the \(issuersByURL.count) CRL URLs in valid certificates serves their issuer's CRL"))
        }
        return out
    }

    /// The CA whose CRL this server's `/.well-known/est/crl/{CA}` or `/.well-known/est/[LABEL/]crl`
    /// in `url` serves; nil for any other URL.
    public static func caServed(at url: String, profiles: [Profile]) -> String? {
        let marker = "/.well-known/est/"
        guard let range = url.range(of: marker) else { return nil }
        let path = url[range.upperBound...].prefix { $0 != "?" && $0 != "#" }
        let parts = path.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        switch parts.count {
        case 1 where parts[0] == "crl": return profiles.first { $0.label == nil }?.crlServedByLabel
        // `/crl/NAME(N)`: the CRL of CA NAME's N-th later key (CRLIssuerPath).
        case 2 where parts[0] == "crl": return CRLIssuerPath.parse(parts[1])?.name ?? parts[1]
        case 2 where parts[1] == "crl": return profiles.first { $0.label == parts[0] }?.crlServedByLabel
        default: return nil
        }
    }

    func selector(_ p: Profile) -> String { p.label.map { "--profile \($0)" } ?? "--default" }

    /// RFC 4210 §4.4, RFC 5280 §6.3.3: after `ca rollover` or `ca renew --new-key`, a URL of
    /// this server serves one key's CRL (`/crl/NAME(N)`; `/LABEL/crl`, the current key's),
    /// which cannot list what another key of that CA signed: a relying party finds no path
    /// from that other key to the CRL (docs/design.md).
    func crlKeyFindings(profiles: [Profile], cas: [CARecord], generations: [ByteName: [CAGeneration]]) -> [HealthFinding] {
        // Each CA's key index by the subjectKeyIdentifier of its certificates.
        var keyBySKI: [String: [Data: Int]] = [:]
        var current: [String: Int] = [:]
        for ca in cas {
            let gens = generations[ByteName(ca.name)] ?? []
            guard !gens.isEmpty else { continue }  // one key: nothing to mix up
            let history = CAKeyHistory(current: ca.certificate, generations: gens)
            current[ca.name] = history.currentIndex
            for cert in gens.map(\.certificate) + [ca.certificate] {
                if let ski = cert.subjectKeyIdentifier, let index = history.index(of: cert.publicKey) { keyBySKI[ca.name, default: [:]][ski] = index }
            }
        }
        guard !keyBySKI.isEmpty,
              let certs = try? store.issuedCertificates(matching: CertificateFilter(status: .valid), now: now) else { return [] }
        // URL -> the key indexes of the valid certificates of the CA it serves that carry it.
        var keysByURL: [String: [Int: Int]] = [:]
        var servedByURL: [String: (ca: String, key: Int)] = [:]
        for c in certs {
            guard let keys = keyBySKI[c.issuer], let cert = try? Certificate(der: c.der),
                  let aki = cert.authorityKeyIdentifier, let key = keys[aki] else { continue }
            for url in cert.crlDistributionPointURIs {
                guard let served = Self.keyServed(at: url, profiles: profiles, currentKey: current), served.ca == c.issuer else { continue }
                servedByURL[url] = served
                keysByURL[url, default: [:]][key, default: 0] += 1
            }
        }
        var out: [HealthFinding] = []
        for (url, keys) in keysByURL.sorted(by: { $0.key < $1.key }) {
            guard let served = servedByURL[url] else { continue }
            let other = keys.filter { $0.key != served.key }.sorted { $0.key < $1.key }
            guard !other.isEmpty else { continue }
            let counts = other.map { "\($0.value) signed by its key \($0.key)" }.joined(separator: ", ")
            out.append(HealthFinding(.fail, "crl url \(url)", "serves the CRL of CA '\(served.ca)' key \(served.key), but valid "
                                     + "certificates of another key of that CA carry it (\(counts)): they can never be listed as revoked",
                                     fix: "profile update (--profile L | --default) --crl-url 'https://HOST/.well-known/est/crl/{ca}' "
                                     + "(each key's CRL at its own URL); have the devices concerned re-enroll (simplereenroll) to carry it"))
        }
        return out
    }

    /// The CA and key whose CRL this server's URL serves: `/crl/NAME(N)` key N, `/crl/NAME`
    /// the first key, `/[LABEL/]crl` the current key of the CA the label serves.
    static func keyServed(at url: String, profiles: [Profile], currentKey: [String: Int]) -> (ca: String, key: Int)? {
        guard let ca = caServed(at: url, profiles: profiles) else { return nil }
        let marker = "/.well-known/est/crl/"
        if let range = url.range(of: marker) {
            let segment = String(url[range.upperBound...].prefix { $0 != "?" && $0 != "#" && $0 != "/" })
            return CRLIssuerPath.parse(segment).map { ($0.name, $0.keyIndex) }
        }
        return currentKey[ca].map { (ca, $0) }
    }
}

extension HealthCheck {
    /// Logs in to the token, signs a fresh digest with the key and verifies it with the CA
    /// certificate. Run in doctor's own process: a process that logged in once stays logged in.
    public static func tokenFinding(_ ca: CARecord, _ reference: TokenKeyReference, _ keyring: CAKeyring) -> HealthFinding {
        let subject = "ca \(ca.name)"
        let key: PrivateKey
        do { key = try keyring.loadTokenKey(reference) }
        catch let p as CAKeyring.TokenProblem { return HealthFinding(.fail, subject, "key in PKCS#11 token: \(p.description)", fix: p.fix) }
        catch { return HealthFinding(.fail, subject, "key in PKCS#11 token: \(error)", fix: PKCS11Error.other("").fix) }
        do {
            guard try key.matches(certificate: ca.certificate) else {
                let e = PKCS11Error.keyMismatch(uri: reference.uriText)
                return HealthFinding(.fail, subject, e.description, fix: e.fix)
            }
        } catch {
            return HealthFinding(.fail, subject, "key in PKCS#11 token could not sign a test digest: \(error)", fix: PKCS11Error.other("").fix)
        }
        return HealthFinding(.ok, subject, "key in PKCS#11 token \(reference.uri.tokenDescription) signs, and the certificate verifies it")
    }
}

extension HealthCheck {
    /// The key file (when one is named or needed), and which protection the CA keys use,
    /// with the advice to move off PBKDF2 where every process pays it (CGI).
    func keyProtectionFindings(_ protections: [KeyProtection]) -> [HealthFinding] {
        var out: [HealthFinding] = []
        let sealed = protections.filter { $0 == .keyFile }.count
        let underPassphrase = protections.count - sealed
        let fix = "set ESTFCGI_KEY_FILE (or --key-file) to the key file (mode 600, owned by the server's user or root, not a symlink)"
        if let keyFileProblem {
            out.append(HealthFinding(sealed > 0 ? .fail : .warn, "key file", keyFileProblem, fix: fix))
        } else if let file = keyring?.keyFile {
            out.append(HealthFinding(.ok, "key file", "\(file.path): mode \(String(file.mode, radix: 8)), id \(file.identifier)"))
        } else if sealed > 0 {
            out.append(HealthFinding(.fail, "key file", "\(sealed) CA key\(sealed == 1 ? " is" : "s are") sealed under a key file, and none was given", fix: fix))
        }
        if !protections.isEmpty {
            let detail = "CA keys: \(sealed) under the key file (\(KeyProtection.keyFile.rawValue)), \(underPassphrase) under the passphrase (PBKDF2)"
            out.append(HealthFinding(.ok, "key protection", detail, fix: underPassphrase == 0 ? "" : """
                for CGI (a process per request) or any unattended server, a key file saves ~0.2 s of PBKDF2 per process: \
                estfcgi init --key-file FILE --create-key-file, then estfcgi ca rekey-protection --to key-file
                """))
        }
        return out
    }

    /// A CA key sealed under a key file: does the key file given open it?
    func sealedKeyFinding(_ ca: CARecord, _ pem: String) -> HealthFinding {
        let subject = "ca \(ca.name)"
        let id = SealedPrivateKey.keyFileIdentifier(of: pem) ?? "?"
        guard let keyring, let file = keyring.keyFile else {
            return HealthFinding(.fail, subject, "key is sealed under key file \(id), and no key file was given",
                                 fix: "set ESTFCGI_KEY_FILE (or --key-file) to that key file")
        }
        do {
            _ = try keyring.signingKey(for: ca)
            return HealthFinding(.ok, subject, "key decrypts with the key file (\(KeyProtection.keyFile.rawValue))")
        } catch {
            return HealthFinding(.fail, subject, (error as? CAError)?.reason ?? "key does not decrypt with key file \(file.path)",
                                 fix: "use the key file the key was sealed with (id \(id))")
        }
    }
}
