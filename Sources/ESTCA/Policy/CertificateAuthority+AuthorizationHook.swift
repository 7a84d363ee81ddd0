import ESTCore
import ESTOpenSSL

extension CertificateAuthority {
    /// The profile's authorization hook, if it has one, consulted after every check of
    /// estfcgi's own and before signing (issue 25): returns `audit` with the hook's
    /// allowance noted, or throws its denial (403) or failure (503, fail closed). The call
    /// holds no lock and no store transaction: only this worker waits for it.
    func consultAuthorizationHook(_ operation: ESTOperation, csr: CertificateSigningRequest, checked: CheckedRequest,
                                  profile: Profile, device: DeviceClaim?, client: Certificate?, httpUser: String?,
                                  audit: AuditEvent) throws -> AuditEvent {
        guard let hook = profile.authorize else { return audit }
        let gate = AuthorizationHookGate.shared
        let id = AuthorizationDocument.newRequestID()
        let document = AuthorizationDocument(
            requestID: id, operation: operation, profile: profile.label, device: device?.name, subject: checked.subject.string,
            subjectAltNames: checked.names.map(\.description), csrPEM: csr.pem, clientCertificatePEM: client?.pem,
            httpUser: httpUser)
        guard let verdict = gate.run({ AuthorizationHookCaller.call(hook, document: document) }) else {
            gate.count(profile: profile.label, outcome: "busy")
            throw AuthorizationHookRefusal.busy(limit: gate.currentLimit)
        }
        gate.count(profile: profile.label, outcome: verdict.outcome)
        switch verdict {
        case .allow:
            var event = audit
            event.reason += " (allowed by the authorization hook, request \(id))"
            return event
        case .deny(let reason): throw AuthorizationHookRefusal.denied(reason, requestID: id)
        case .failed(let why): throw AuthorizationHookRefusal.failed(why, requestID: id)
        }
    }
}
