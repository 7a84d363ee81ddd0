import ESTCore
import ESTOpenSSL

extension CertificateAuthority {
    /// RFC 7030 §4.2.3 under `--approval manual`: the first submission of a CSR records a
    /// pending request and, like every repeat until an operator decides, is answered 202
    /// with Retry-After. A request belongs to the credentials that made it: the same CSR
    /// from other credentials is a request of its own. Once approved, the certificate (the
    /// id returned is spent when it is recorded); once rejected, 403 with the reason.
    /// Nil when the profile approves automatically.
    func awaitApproval(_ csr: CertificateSigningRequest, operation: ESTOperation, keyType: String, profile: Profile,
                       device: String?, requester: Requester) throws -> Int64? {
        guard profile.approval == .manual else { return nil }
        let hash = Digest.sha256(csr.der).hexString
        var request = try store.openEnrollmentRequest(csrHash: hash, profile: profile.label, operation: operation.rawValue,
                                                      requesterKey: requester.key)
        if request == nil {
            request = try store.submitEnrollmentRequest(NewEnrollmentRequest(
                csrHash: hash, profile: profile.label, operation: operation.rawValue, device: device,
                subject: csr.subject.string, keyType: keyType, requester: requester.name, requesterKey: requester.key,
                csrDER: csr.der), now: now())
        }
        guard let request else { throw CAError.internalFailure("request for approval not recorded") }
        switch request.status {
        case .pending:
            throw CAError.pending("request \(request.id) awaits an operator's approval", retryAfter: profile.approvalRetryAfter)
        case .rejected:
            throw CAError.forbidden("request \(request.id) was rejected" + (request.reason.isEmpty ? "" : ": \(request.reason)"))
        case .approved:
            return request.id
        case .issued:
            throw CAError.internalFailure("request \(request.id) is already answered")
        }
    }
}
