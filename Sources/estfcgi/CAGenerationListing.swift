import ESTCA
import ESTCore
import ESTOpenSSL
import Foundation

/// `ca list`'s view of a CA's generations (ca rollover, ca renew): the current certificate
/// and each earlier one, newest first, with its key (index N of its CRL URL `/crl/CA(N)`,
/// and where it lives), validity, the RFC 4210 §4.4 link certificates of a rollover, and
/// whether that rollover is still in its overlap.
struct CAGenerationListing {
    let ca: CARecord
    let generations: [CAGeneration]

    private var history: CAKeyHistory { CAKeyHistory(current: ca.certificate, generations: generations) }

    private func crlPath(_ cert: Certificate) -> String {
        "/.well-known/est/crl/" + CRLIssuerPath.segment(issuer: ca.name, keyIndex: history.index(of: cert.publicKey) ?? 0)
    }

    private var newestFirst: [CAGeneration] { generations.sorted { $0.id > $1.id } }

    var lines: [String] {
        let c = ca.certificate
        var out = ["current   key \(history.currentIndex) (\(ca.keyLocation))\tvalid \(Timestamp.string(c.notBefore)) to \(Timestamp.string(c.notAfter))"
                   + "\tcrl \(crlPath(c))\tsha256 \(c.fingerprint.hexString)"]
        for (i, g) in newestFirst.enumerated() {
            let cert = g.certificate
            var line = "\(i == 0 ? "previous" : "earlier ")  key \(history.index(of: cert.publicKey) ?? 0) (\(g.keyLocation))"
                + "\tvalid \(Timestamp.string(cert.notBefore)) to \(Timestamp.string(cert.notAfter))\tretired \(g.retiredAt)"
                + "\tcrl \(crlPath(cert))\tsha256 \(cert.fingerprint.hexString)"
            if let nwo = g.newWithOld, let own = g.oldWithNew {
                line += "\tlinks: NewWithOld to \(Timestamp.string(nwo.notAfter)), OldWithNew to \(Timestamp.string(own.notAfter))"
            }
            out.append(line)
            if g.inOverlap {
                out.append("rollover in progress (overlap since \(g.retiredAt)); when old-chain devices have moved: "
                           + "estfcgi ca rollover --name \(TextOutput.safe(ca.name)) --finish")
            }
        }
        // Tabs separate the fields; anything else below 0x20 is escaped.
        return out.map { $0.split(separator: "\t", omittingEmptySubsequences: false).map { TextOutput.safe(String($0)) }.joined(separator: "\t") }
    }

    var json: [[String: Any]] {
        let c = ca.certificate
        var out: [[String: Any]] = [[
            "generation": "current", "key_index": history.currentIndex, "key": ca.keyLocation,
            "pkcs11_uri": nullable(ca.tokenKey?.uriText), "pkcs11_module": nullable(ca.tokenKey?.module),
            "subject": c.subject.string, "serial": c.serialHex, "fingerprint": c.fingerprint.hexString,
            "not_before": Timestamp.string(c.notBefore), "not_after": Timestamp.string(c.notAfter), "crl_path": crlPath(c),
            "in_overlap": false, "retired_at": NSNull(), "new_with_old": NSNull(), "old_with_new": NSNull(),
        ]]
        for (i, g) in newestFirst.enumerated() {
            let cert = g.certificate
            func link(_ l: Certificate?) -> Any {
                l.map { ["serial": $0.serialHex, "fingerprint": $0.fingerprint.hexString, "not_after": Timestamp.string($0.notAfter),
                         "pem": $0.pem] as [String: Any] } ?? NSNull()
            }
            out.append([
                "generation": i == 0 ? "previous" : "earlier", "key_index": history.index(of: cert.publicKey) ?? 0, "key": g.keyLocation,
                "pkcs11_uri": nullable(g.tokenKey?.uriText), "pkcs11_module": nullable(g.tokenKey?.module),
                "subject": cert.subject.string, "serial": cert.serialHex, "fingerprint": cert.fingerprint.hexString,
                "not_before": Timestamp.string(cert.notBefore), "not_after": Timestamp.string(cert.notAfter), "crl_path": crlPath(cert),
                "in_overlap": g.inOverlap, "retired_at": g.retiredAt, "new_with_old": link(g.newWithOld), "old_with_new": link(g.oldWithNew),
            ])
        }
        return out
    }
}
