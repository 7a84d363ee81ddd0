import ESTCore
import ESTOpenSSL
import Foundation

extension CAAdministration {
    /// Signs and records the next CRL of CA `name` (RFC 5280 §5): every revoked certificate
    /// it issued that has not expired, numbered one above its last CRL, valid for
    /// `nextUpdateHours`. Two runs at once publish two numbers, never one twice.
    public func publishCRL(ca name: String, nextUpdateHours: Int) throws -> (PublishedCRL, CertificateRevocationList) {
        guard (1...8760).contains(nextUpdateHours) else { throw CAError.badRequest("--next-update must be 1-8760 hours") }
        guard let ca = try store.ca(named: name) else { throw CAError.notFound("no CA named '\(name)'") }
        guard ca.hasKey else { throw CAError.badRequest("CA '\(name)' has no private key and cannot sign a CRL") }
        let key = try keyring.signingKey(for: ca)
        for _ in 0..<5 {
            let at = now()
            let number = (try store.latestCRL(issuer: name)?.number ?? 0) + 1
            let revoked = try store.revokedCertificates(issuer: name, now: at)
            let entries = try revoked.map(Self.crlEntry)
            let crl: CertificateRevocationList
            do {
                crl = try CRLSigner.sign(CRLTemplate(number: number, thisUpdate: at,
                                                     nextUpdate: at.addingTimeInterval(Double(nextUpdateHours) * 3600),
                                                     entries: entries), issuer: ca.certificate, issuerKey: key)
            } catch {
                throw CAError.internalFailure("signing the CRL of CA '\(name)' failed: \(error)")
            }
            let record = PublishedCRL(issuer: name, number: number, thisUpdate: Timestamp.string(crl.thisUpdate),
                                      nextUpdate: crl.nextUpdate.map(Timestamp.string) ?? "", entries: entries.count, der: crl.der)
            do {
                try store.recordCRL(record, audit: .admin("crl", reason: "CA '\(name)' CRL \(number), \(entries.count) revoked"),
                                    now: at)
                return (record, crl)
            } catch is CRLNumberTaken {
                continue
            }
        }
        throw CAError.unavailable("CRL numbers of CA '\(name)' keep being taken by other runs; try again")
    }

    /// RFC 5280 §5.1.2.6: a revoked certificate's serial, revocation date and, when known,
    /// its reasonCode entry extension (§5.3.1).
    static func crlEntry(_ c: IssuedCertificate) throws -> RevokedEntry {
        guard let serial = Data(hexString: c.serial.count % 2 == 0 ? c.serial : "0" + c.serial),
              let revokedAt = c.revokedAt.flatMap(Timestamp.date) else {
            throw CAError.internalFailure("certificate \(c.serial) has an unreadable serial or revocation time")
        }
        return RevokedEntry(serial: serial, revokedAt: revokedAt, reasonCode: c.revocationReason?.crlReasonCode)
    }
}
