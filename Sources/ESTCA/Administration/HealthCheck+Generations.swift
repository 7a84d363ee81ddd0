import ESTCore
import ESTOpenSSL
import Foundation

/// `doctor` on CA generations (`ca rollover`, `ca renew`): a rollover still in its overlap,
/// and each earlier key that must still sign the CRLs of what it certified (RFC 4210 §4.4)
/// until its certificate expires: a software key must decrypt, a token key must log in,
/// sign a test digest and verify against that generation's certificate.
extension HealthCheck {
    func generationFindings(for ca: CARecord, generations: [CAGeneration]) -> [HealthFinding] {
        guard !generations.isEmpty else { return [] }
        let subject = "ca \(ca.name)"
        var out: [HealthFinding] = []
        if let overlap = generations.last(where: \.inOverlap) {
            out.append(HealthFinding(.warn, subject, "root key rollover in its overlap since \(overlap.retiredAt): /cacerts carries the old root and "
                                     + "the links (RFC 7030 §4.1.3)",
                                     fix: "once the devices that trust only the old root have fetched /cacerts (and hold the new root), end it: "
                                     + "estfcgi ca rollover --name \(ca.name) --finish"))
        }
        let history = CAKeyHistory(current: ca.certificate, generations: generations)
        var seen: Set<Data> = [ca.certificate.publicKey.spkiDER]
        // Newest first: a key's latest certificate is the one its CRLs are signed under.
        for g in generations.sorted(by: { $0.id > $1.id }) {
            let spki = g.certificate.publicKey.spkiDER
            guard seen.insert(spki).inserted else { continue }
            let index = history.keys.firstIndex(of: spki) ?? 0
            let keySubject = "ca \(ca.name) key \(index)"
            let crlURL = "/.well-known/est/crl/" + CRLIssuerPath.segment(issuer: ca.name, keyIndex: index)
            guard g.certificate.notAfter > now else {
                out.append(HealthFinding(.ok, keySubject, "earlier key: its certificate expired \(Timestamp.string(g.certificate.notAfter)); "
                                         + "it has nothing left to list"))
                continue
            }
            guard g.hasKey else {
                out.append(HealthFinding(.warn, keySubject, "earlier certificate without a key: what it certified is on no CRL (\(crlURL))",
                                         fix: "import its key, or revoke what it certified through OCSP only"))
                continue
            }
            let record: CARecord
            do { record = try CARecord(generation: g, of: ca) } catch {
                out.append(HealthFinding(.fail, keySubject, "earlier generation unreadable: \(error)"))
                continue
            }
            if let reference = g.tokenKey {
                let f = tokenCheck.map { $0(record, reference) } ?? tokenKeyring.map { Self.tokenFinding(record, reference, $0) }
                if let f { out.append(HealthFinding(f.level, keySubject, "earlier key (signs \(crlURL)): " + f.detail, fix: f.fix)) }
            } else if let keyring {
                do {
                    let key = try keyring.generationKey(for: g)
                    guard key.matches(g.certificate.publicKey) else {
                        out.append(HealthFinding(.fail, keySubject, "earlier key decrypts but is not the key of its certificate: \(crlURL) cannot be signed",
                                                 fix: "restore the store from a backup made after the rollover (ca_generations of CA '\(ca.name)')"))
                        continue
                    }
                    out.append(HealthFinding(.ok, keySubject, "earlier key decrypts (signs \(crlURL) until \(Timestamp.string(g.certificate.notAfter)))"))
                } catch {
                    // The keyring's reason says which: the passphrase, or the key file (wrong one, none, altered).
                    let why = (error as? CAError)?.reason ?? "\(error)"
                    out.append(HealthFinding(.fail, keySubject, "earlier key does not decrypt (\(why)): \(crlURL) cannot be signed",
                                             fix: "use the key file or passphrase file the key was stored under"))
                }
            }
        }
        return out
    }
}
