import ESTCore
import ESTOpenSSL
import Foundation

/// The OCSP responder (RFC 6960, RFC 5019) for every CA of the store with a key. It reads
/// the status of each certificate from the store on every request, so a revocation by any
/// process or host is in the very next answer, and it writes nothing.
extension CertificateAuthority {
    public func ocsp(_ request: OCSPRequest) throws -> OCSPAnswer {
        let m = try material()
        // Every CertID must name one CA of this store (RFC 5019 §2.2.3: unauthorized when the
        // responder cannot answer authoritatively). A request naming two CAs is refused the
        // same way: each CA's answers are signed by its own responder (RFC 6960 §4.2.2.2:
        // a delegated responder speaks only for the CA that certified it), and one
        // BasicOCSPResponse carries one signature. RFC 5019 §2.1.1 clients ask about one
        // certificate anyway.
        var named: CARecord?
        for id in request.certIDs {
            guard let ca = m.ocspIssuers[id.issuer] else {
                return .unsuccessful(.unauthorized, "no CA with a key in this store has the issuer of \(id)")
            }
            if let first = named, !ByteName.same(first.name, ca.name) {
                return .unsuccessful(.unauthorized, "the request names CAs '\(first.name)' and '\(ca.name)': one CA per request")
            }
            named = ca
        }
        guard let ca = named else { return .unsuccessful(.malformedRequest, "no CertID") }
        let at = now()
        guard let record = m.ocspSignerRecords[ByteName(ca.name)] else {
            return .unsuccessful(.tryLater, "CA '\(ca.name)' has no OCSP signer: run estfcgi ca ocsp-signer --name \(ca.name)")
        }
        if let cert = record.certificate, !(cert.notBefore <= at && at < cert.notAfter) {
            return .unsuccessful(.tryLater, "the OCSP signer of CA '\(ca.name)' is not valid now (until \(Timestamp.string(cert.notAfter))): "
                                 + "run estfcgi ca ocsp-signer --name \(ca.name)")
        }
        let signer = try m.responseSigner(for: ca) {
            do {
                if let cert = record.certificate {
                    return try OCSPResponseSigner(issuer: ca.certificate, responder: cert, responderKey: try keyring.ocspSigningKey(for: record))
                }
                return try OCSPResponseSigner(issuer: ca.certificate, responder: ca.certificate, responderKey: try keyring.signingKey(for: ca))
            } catch let e as OCSPResponseError {
                throw CAError.internalFailure("the OCSP signer of CA '\(ca.name)': \(e)")
            }
        }
        let statuses = try request.certIDs.map { try ocspStatus(serial: $0.serialHex, ca: ca) }
        let summary = "CA '\(ca.name)': " + zip(request.certIDs, statuses).map { id, status in
            switch status {
            case .good: return "good \(id.serialHex)"
            case .unknown: return "unknown \(id.serialHex)"
            case .revoked(_, let code): return "revoked \(id.serialHex)" + (code.map { " (reason \($0))" } ?? "")
            }
        }.joined(separator: ", ")
        // nextUpdate: the signer's validity setting, never after the responder certificate.
        let nextUpdate = min(at.addingTimeInterval(Double(record.validityHours) * 3600), signer.responder.notAfter)
        let cache = materials.ocspResponses
        let key = OCSPResponseCache.key(ca: ca.name, signer: signer.responder, certIDs: request.certIDs, statuses: statuses)
        if request.nonce == nil, let hit = cache.entry(key, at: at) {
            return OCSPAnswer(der: hit.der, status: "successful", cacheableFrom: hit.thisUpdate, cacheableUntil: hit.nextUpdate,
                              summary: summary + " (re-used)")
        }
        let responses = zip(request.certIDs, statuses).map { id, status in
            OCSPSingleResponse(certID: id, status: status, thisUpdate: at, nextUpdate: nextUpdate)
        }
        let der: Data
        do { der = try signer.sign(responses, nonce: request.nonce) }
        catch { throw CAError.internalFailure("signing the OCSP response of CA '\(ca.name)' failed: \(error)") }
        guard request.nonce == nil else { return OCSPAnswer(der: der, status: "successful", summary: summary) }
        cache.store(.init(der: der, thisUpdate: at, nextUpdate: nextUpdate), for: key, at: at)
        return OCSPAnswer(der: der, status: "successful", cacheableFrom: at, cacheableUntil: nextUpdate, summary: summary)
    }

    /// What the store says of serial `serial` of CA `ca` now (RFC 6960 §2.2): unknown when
    /// it never issued it.
    func ocspStatus(serial: String, ca: CARecord) throws -> OCSPCertStatus {
        guard let issued = try store.issuedCertificates(serial: serial).first(where: { ByteName.same($0.issuer, ca.name) }) else {
            return .unknown
        }
        guard issued.status == .revoked else { return .good }
        guard let revokedAt = issued.revokedAt.flatMap(Timestamp.date) else {
            throw CAError.internalFailure("certificate \(serial) of CA '\(ca.name)' has an unreadable revocation time")
        }
        return .revoked(at: revokedAt, reasonCode: issued.revocationReason?.crlReasonCode)
    }
}
