import ESTCore
import ESTOpenSSL
import Foundation

/// The OCSP responder (RFC 6960, RFC 5019) for every CA of the store with a key. It reads
/// the status of each certificate from the store on every request, so a revocation by any
/// process or host is in the very next answer, and it writes nothing.
extension CertificateAuthority {
    public func ocsp(_ request: OCSPRequest) throws -> OCSPAnswer {
        let m = try material()
        // Every CertID must name one issuer of this store (RFC 5019 §2.2.3: unauthorized when
        // the responder cannot answer authoritatively): a CA with a key, or an earlier
        // generation of one (after `ca rollover` or `ca renew`) whose key is kept. A request
        // naming two issuers is refused the same way: each issuer's answers are signed by its
        // own responder (RFC 6960 §4.2.2.2: a delegated responder speaks only for the CA key
        // that certified it), and one BasicOCSPResponse carries one signature. RFC 5019
        // §2.1.1 clients ask about one certificate anyway.
        var named: (key: String, ca: String, generation: CAGeneration?, current: CARecord?)?
        for id in request.certIDs {
            let found: (key: String, ca: String, generation: CAGeneration?, current: CARecord?)
            if let ca = m.ocspIssuers[id.issuer] {
                found = ("ca:" + ca.name, ca.name, nil, ca)
            } else if let g = m.ocspGenerations[id.issuer] {
                found = ("generation:\(g.id)", g.caName, g, nil)
            } else {
                return .unsuccessful(.unauthorized, "no CA with a key in this store has the issuer of \(id)")
            }
            if let first = named, first.key != found.key {
                return .unsuccessful(.unauthorized, "the request names two issuers ('\(first.ca)', '\(found.ca)'): one per request")
            }
            named = found
        }
        guard let issuer = named else { return .unsuccessful(.malformedRequest, "no CertID") }
        let at = now()
        let signer: OCSPResponseSigner
        let validityHours: Int
        if let generation = issuer.generation {
            // What an earlier key certified is answered by that key itself (RFC 6960 §4.2.2.2:
            // the CA that issued the certificate), no delegated responder being certified by it.
            guard generation.certificate.notBefore <= at, at < generation.certificate.notAfter else {
                return .unsuccessful(.unauthorized, "the earlier certificate of CA '\(issuer.ca)' has expired, and all it certified")
            }
            validityHours = m.ocspSignerRecords[ByteName(issuer.ca)]?.validityHours ?? OCSPSignerRecord.defaultValidityHours
            signer = try m.responseSigner(issuer.key) {
                do {
                    return try OCSPResponseSigner(issuer: generation.certificate, responder: generation.certificate,
                                                  responderKey: try keyring.generationKey(for: generation))
                } catch let e as OCSPResponseError {
                    throw CAError.internalFailure("the earlier key of CA '\(issuer.ca)': \(e)")
                }
            }
        } else {
            guard let ca = issuer.current else { return .unsuccessful(.internalError, "no issuer") }
            guard let record = m.ocspSignerRecords[ByteName(ca.name)] else {
                return .unsuccessful(.tryLater, "CA '\(ca.name)' has no OCSP signer: run estfcgi ca ocsp-signer --name \(ca.name)")
            }
            if let cert = record.certificate {
                guard cert.notBefore <= at, at < cert.notAfter else {
                    return .unsuccessful(.tryLater, "the OCSP signer of CA '\(ca.name)' is not valid now (until \(Timestamp.string(cert.notAfter))): "
                                         + "run estfcgi ca ocsp-signer --name \(ca.name)")
                }
                // After a new key (ca rollover, ca renew) the signer was certified by the old one.
                guard cert.issuer == ca.certificate.subject, cert.isSigned(by: ca.certificate) else {
                    return .unsuccessful(.tryLater, "the OCSP signer of CA '\(ca.name)' was certified by an earlier key: "
                                         + "run estfcgi ca ocsp-signer --name \(ca.name)")
                }
            }
            validityHours = record.validityHours
            signer = try m.responseSigner(issuer.key) {
                do {
                    if let cert = record.certificate {
                        return try OCSPResponseSigner(issuer: ca.certificate, responder: cert, responderKey: try keyring.ocspSigningKey(for: record))
                    }
                    return try OCSPResponseSigner(issuer: ca.certificate, responder: ca.certificate, responderKey: try keyring.signingKey(for: ca))
                } catch let e as OCSPResponseError {
                    throw CAError.internalFailure("the OCSP signer of CA '\(ca.name)': \(e)")
                }
            }
        }
        let statuses = try request.certIDs.map { try ocspStatus(serial: $0.serialHex, ca: issuer.ca) }
        let summary = "CA '\(issuer.ca)'" + (issuer.generation == nil ? "" : " (earlier key)") + ": "
            + zip(request.certIDs, statuses).map { id, status in
                switch status {
                case .good: return "good \(id.serialHex)"
                case .unknown: return "unknown \(id.serialHex)"
                case .revoked(_, let code): return "revoked \(id.serialHex)" + (code.map { " (reason \($0))" } ?? "")
                }
            }.joined(separator: ", ")
        // nextUpdate: the signer's validity setting, never after the responder certificate.
        let nextUpdate = min(at.addingTimeInterval(Double(validityHours) * 3600), signer.responder.notAfter)
        let cache = materials.ocspResponses
        let key = OCSPResponseCache.key(ca: issuer.key, signer: signer.responder, certIDs: request.certIDs, statuses: statuses)
        if request.nonce == nil, let hit = cache.entry(key, at: at) {
            return OCSPAnswer(der: hit.der, status: "successful", cacheableFrom: hit.thisUpdate, cacheableUntil: hit.nextUpdate,
                              summary: summary + " (re-used)")
        }
        let responses = zip(request.certIDs, statuses).map { id, status in
            OCSPSingleResponse(certID: id, status: status, thisUpdate: at, nextUpdate: nextUpdate)
        }
        let der: Data
        do { der = try signer.sign(responses, nonce: request.nonce) }
        catch { throw CAError.internalFailure("signing the OCSP response of CA '\(issuer.ca)' failed: \(error)") }
        guard request.nonce == nil else { return OCSPAnswer(der: der, status: "successful", summary: summary) }
        cache.store(.init(der: der, thisUpdate: at, nextUpdate: nextUpdate), for: key, at: at)
        return OCSPAnswer(der: der, status: "successful", cacheableFrom: at, cacheableUntil: nextUpdate, summary: summary)
    }

    /// What the store says of serial `serial` of CA `ca` now (RFC 6960 §2.2): unknown when
    /// it never issued it.
    func ocspStatus(serial: String, ca: String) throws -> OCSPCertStatus {
        guard let issued = try store.issuedCertificates(serial: serial).first(where: { ByteName.same($0.issuer, ca) }) else {
            return .unknown
        }
        guard issued.status == .revoked else { return .good }
        guard let revokedAt = issued.revokedAt.flatMap(Timestamp.date) else {
            throw CAError.internalFailure("certificate \(serial) of CA '\(ca)' has an unreadable revocation time")
        }
        return .revoked(at: revokedAt, reasonCode: issued.revocationReason?.crlReasonCode)
    }
}
