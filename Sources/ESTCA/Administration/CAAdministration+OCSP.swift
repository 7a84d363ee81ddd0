import ESTCore
import ESTOpenSSL
import Foundation

extension CAAdministration {
    /// The delegated responder's default life: short, as RFC 6960 §4.2.2.2.1 has a
    /// certificate with id-pkix-ocsp-nocheck be, since clients never check its revocation.
    public static let ocspSignerDays = 30

    /// Issues (or replaces) the OCSP signer of CA `name`: a delegated responder certificate
    /// (RFC 6960 §4.2.2.2) for a fresh software key of `keyType`, valid `days` (never past
    /// the CA's own notAfter), its key encrypted under the store passphrase; or with `direct`
    /// no certificate, the CA signing its responses itself. `validityHours` sets how far
    /// ahead nextUpdate lies (nil: as before, else 24). Audited; the next OCSP answer of
    /// every responder uses it (the material version moves).
    @discardableResult
    public func issueOCSPSigner(ca name: String, days: Int = CAAdministration.ocspSignerDays, keyType: KeyType = .ecP256,
                                validityHours: Int? = nil, direct: Bool = false, reason: String = "by the operator") throws -> OCSPSignerRecord {
        guard (1...365).contains(days) else { throw CAError.badRequest("--days must be 1-365") }
        if let validityHours, !OCSPSignerRecord.validityHoursRange.contains(validityHours) {
            throw CAError.badRequest("--ocsp-validity must be \(OCSPSignerRecord.validityHoursRange.lowerBound)-\(OCSPSignerRecord.validityHoursRange.upperBound) hours")
        }
        guard let ca = try store.ca(named: name) else { throw CAError.notFound("no CA named '\(name)'") }
        guard ca.hasKey else { throw CAError.badRequest("CA '\(name)' has no private key: it cannot certify an OCSP signer or sign") }
        let previous = try store.ocspSigners().first { ByteName.same($0.ca, name) }
        let hours = validityHours ?? previous?.validityHours ?? OCSPSignerRecord.defaultValidityHours
        let at = now()
        if direct {
            let record = try OCSPSignerRecord(ca: ca.name, certificateDER: nil, encryptedKeyPEM: nil, keyProtection: nil,
                                              validityHours: hours, createdAt: Timestamp.string(at))
            try store.saveOCSPSigner(record, audit: .admin("ocsp-signer", reason: "CA '\(name)' signs its OCSP responses itself, nextUpdate \(hours)h"),
                                     now: at)
            return record
        }
        let caKey = try keyring.signingKey(for: ca)
        let key = try PrivateKey.generate(keyType)
        let validity = try IssuancePolicy.validity(days: days, issuer: ca.certificate, now: at)
        let subject: DistinguishedName
        do {
            let safe = String(name.unicodeScalars.filter { ($0.isASCII && ($0.properties.isAlphabetic || $0.properties.numericType != nil)) || "._- ".unicodeScalars.contains($0) }.map(Character.init))
            subject = try DistinguishedName(parsing: "CN=OCSP responder \(safe.isEmpty ? "CA" : safe)")
        } catch { throw CAError.internalFailure("OCSP signer subject: \(error)") }
        let template = CertificateTemplate.ocspResponder(subject: subject, publicKey: try key.publicKey,
                                                         serial: try CertificateTemplate.randomSerial(),
                                                         notBefore: validity.notBefore, notAfter: validity.notAfter)
        let cert: Certificate
        do { cert = try CertificateSigner.sign(template, issuer: ca.certificate, issuerKey: caKey) }
        catch { throw CAError.internalFailure("signing the OCSP signer of CA '\(name)' failed: \(error)") }
        let sealed = try keyring.encrypt(key)
        let record = try OCSPSignerRecord(ca: ca.name, certificateDER: cert.der, encryptedKeyPEM: sealed,
                                          keyProtection: KeyProtection.of(pem: sealed).rawValue, validityHours: hours, createdAt: Timestamp.string(at))
        try store.saveOCSPSigner(record, audit: .admin("ocsp-signer", reason: "CA '\(name)' OCSP signer serial \(cert.serialHex) until "
                                                        + "\(Timestamp.string(cert.notAfter)), nextUpdate \(hours)h, \(reason)"), now: at)
        return record
    }

    /// What `serve` does at start and hourly: a signer for every CA with a key that has none,
    /// and a new one for each delegated signer past 2/3 of its life (same key type and
    /// nextUpdate setting). CAs that sign directly are left alone. One line per change or
    /// failure, for the log.
    public func renewOCSPSigners() -> [String] {
        var lines: [String] = []
        let cas: [CARecord]
        let signers: [OCSPSignerRecord]
        do { (cas, signers) = (try store.allCAs(), try store.ocspSigners()) } catch { return ["OCSP signers not checked: \(error)"] }
        let at = now()
        for ca in cas where ca.hasKey && ca.certificate.notAfter > at {
            let record = signers.first { ByteName.same($0.ca, ca.name) }
            // Due, or certified by an earlier key of the CA (after ca rollover or ca renew).
            if let record, !record.isDue(at: at),
               record.certificate.map({ $0.issuer == ca.certificate.subject && $0.isSigned(by: ca.certificate) }) ?? true { continue }
            let keyType = record?.certificate?.publicKey.algorithm.keyType ?? .ecP256
            do {
                let new = try issueOCSPSigner(ca: ca.name, keyType: keyType, validityHours: record?.validityHours,
                                              reason: record == nil ? "first, by serve" : "renewed by serve")
                lines.append("issued the OCSP signer of CA '\(ca.name)' (serial \(new.certificate?.serialHex ?? "-"))")
            } catch {
                lines.append("could not issue the OCSP signer of CA '\(ca.name)': \((error as? CAError)?.reason ?? "\(error)")")
            }
        }
        return lines
    }
}
