import ESTOpenSSL
import Foundation

/// The EST protocol core: a request value in, a response value out. It does no I/O of
/// its own; everything it learns about certificates it asks the EnrollmentAuthority.
public final class ESTService {
    public let authority: any EnrollmentAuthority
    /// RFC 7030 does not bound a CSR; 64 KiB is far above any real one.
    public static let maxBodyBytes = 64 * 1024
    /// Encodes certs-only PKCS#7; replaceable so tests can make it fail.
    let encodeCertsOnly: ([Certificate]) throws -> Data

    public convenience init(authority: any EnrollmentAuthority) {
        self.init(authority: authority, encodeCertsOnly: PKCS7CertsOnly.encode)
    }

    init(authority: any EnrollmentAuthority, encodeCertsOnly: @escaping ([Certificate]) throws -> Data) {
        self.authority = authority
        self.encodeCertsOnly = encodeCertsOnly
    }

    /// The result of a dispatched operation before it becomes an outcome.
    private struct Answer {
        var response: ESTResponse
        var serial: String?
        var reason: String
    }

    /// A certificate was issued and recorded, but its answer could not be built: the
    /// audit must say both, not "issued" beside a 500.
    private struct AnswerFailed: ESTStatusError {
        let serial: String
        let underlying: any Error
        var httpStatus: Int { 500 }
        var reason: String { "issued serial \(serial) but could not encode the answer: \(underlying)" }
    }

    /// Requests answered without reaching a policy decision (logged, not audited).
    public private(set) var unaudited = 0

    /// The last client certificate read, by the web server's exact variable: a gateway on
    /// a kept-alive connection, or a device retrying, sends the same one again, and the
    /// adapter asks twice per request (before and after the body). One service serves one
    /// thread, so this needs no lock.
    private var lastClient: (raw: String, pemPresent: Bool, certificate: Certificate?)?

    /// A request that passed the checks of its head: routed, the right method, media type
    /// and declared size, and the credentials its profile requires. `handle(_:admitted:)`
    /// goes on from here without deciding any of it again.
    public struct Admission {
        fileprivate var outcome: ESTOutcome
        fileprivate let client: Certificate?
        fileprivate let route: Route
    }

    /// The head's verdict: refused, or admitted with what was decided.
    public enum Preflight {
        case refused(ESTOutcome)
        case admitted(Admission)
    }

    /// Decides what needs no body: unrouted, wrong method, a declared body over the cap,
    /// the wrong media type, or credentials missing. The adapter calls this before reading
    /// a body, so a client that trickles a body it may not send holds no worker.
    public func admit(_ head: ESTRequest) -> Preflight {
        var (outcome, client) = start(head)
        do {
            let route = try preflight(head, client, &outcome)
            return .admitted(Admission(outcome: outcome, client: client, route: route))
        } catch {
            return .refused(finish(&outcome, error))
        }
    }

    /// The answer to a request whose body need not be read at all; nil when the body is wanted.
    public func refusalBeforeBody(_ request: ESTRequest) -> ESTOutcome? {
        if case .refused(let outcome) = admit(request) { return outcome }
        return nil
    }

    public func handle(_ request: ESTRequest) -> ESTOutcome {
        switch admit(request) {
        case .refused(let outcome): return outcome
        case .admitted(let admission): return handle(request, admitted: admission)
        }
    }

    /// Answers `request` (its head as admitted, now with its body).
    public func handle(_ request: ESTRequest, admitted admission: Admission) -> ESTOutcome {
        var outcome = admission.outcome
        do {
            let answer = try dispatch(admission.route, request, admission.client, &outcome)
            outcome.response = answer.response
            outcome.serial = answer.serial
            outcome.reason = answer.reason
        } catch {
            return finish(&outcome, error)
        }
        return record(&outcome)
    }

    /// A new outcome, and the client certificate read once from the web server's variable.
    private func start(_ request: ESTRequest) -> (ESTOutcome, Certificate?) {
        var outcome = ESTOutcome(response: .error(500, "internal error"), operation: "-", profile: nil, client: nil,
                                 reason: "", serial: nil)
        let (pemPresent, client) = clientCertificate(request)
        let certificate = client?.subject.string ?? (pemPresent ? "(unparseable certificate)" : nil)
        outcome.client = certificate
        if let user = request.remoteUser { outcome.client = (certificate.map { $0 + " " } ?? "") + "(http user \(user))" }
        return (outcome, client)
    }

    /// Whether the web server passed a client certificate, and the certificate if it parses.
    private func clientCertificate(_ request: ESTRequest) -> (pemPresent: Bool, certificate: Certificate?) {
        let raw = request.params["SSL_CLIENT_CERT"] ?? ""
        if let last = lastClient, last.raw == raw { return (last.pemPresent, last.certificate) }
        let pem = request.clientCertificatePEM
        let client = pem.flatMap { try? Certificate(pem: $0) }
        lastClient = (raw, pem != nil, client)
        return (pem != nil, client)
    }

    /// The refusal of `error`, audited when the request had reached a policy decision.
    private func finish(_ outcome: inout ESTOutcome, _ error: any Error) -> ESTOutcome {
        if let e = error as? ESTStatusError {
            if !e.recordsAudit { outcome.audited = false }
            // Internal details go to the audit log and error log, not to the client.
            var headers = e.responseHeaders
            if e.httpStatus == 401, outcome.challenge == nil, let realm = outcome.realm,
               authority.clientAuthentication(profile: outcome.profile).takesHTTP {
                outcome.challenge = Self.challenge(realm: realm)
            }
            if e.httpStatus == 401, let challenge = outcome.challenge { headers.append(("WWW-Authenticate", challenge)) }
            var shown = e.httpStatus >= 500 ? "internal error" : e.reason
            if e.httpStatus == 503 {
                // A busy or full store, or a stopping responder: the request may simply be
                // repeated (RFC 9110 §15.6.4), which EST clients do on Retry-After.
                shown = "temporarily unavailable; retry later"
                if !headers.contains(where: { $0.0 == "Retry-After" }) { headers.append(("Retry-After", "1")) }
            }
            outcome.response = .error(e.httpStatus, shown, extraHeaders: headers)
            outcome.reason = e.reason
            if e.httpStatus >= 400 { outcome.refusal = e.kind }
            if let failed = e as? AnswerFailed { outcome.serial = failed.serial }
        } else {
            outcome.response = .error(500, "internal error")
            outcome.reason = "\(error)"
            outcome.refusal = "internal"
        }
        return record(&outcome)
    }

    private func record(_ outcome: inout ESTOutcome) -> ESTOutcome {
        guard outcome.audited else {
            unaudited += 1
            return outcome
        }
        if outcome.recordedWithCertificate && outcome.response.status == 200 { return outcome }
        do { try authority.audit(outcome.auditEvent) } catch { outcome.auditFailure = "\(error)" }
        return outcome
    }

    /// Route, method, and for the CSR operations the checks that need no body
    /// (RFC 7030 §4.2.1, RFC 8951 §3): declared size, media type, a client certificate.
    private func preflight(_ request: ESTRequest, _ client: Certificate?, _ outcome: inout ESTOutcome) throws -> Route {
        let route = try Route.parse(path: request.path, pinned: request.params["ESTFCGI_PROFILE"])
        outcome.operation = route.operation.rawValue
        outcome.profile = route.label
        let op = route.operation
        if op == .ocsp { try preflightOCSP(request, route); return route }
        guard request.method == op.allowedMethod || (op.allowedMethod == "GET" && request.method == "HEAD") else {
            throw ESTError(405, "\(op.rawValue) takes \(op.allowedMethod)",
                           headers: ["Allow": op.allowedMethod == "GET" ? "GET, HEAD" : "POST"])
        }
        guard op.carriesCSR else { return route }
        if let declared = request.declaredLength, declared > Self.maxBodyBytes {
            throw ESTError(413, "request body over \(Self.maxBodyBytes) bytes")
        }
        guard request.contentType == "application/pkcs10" else {
            let got = request.contentType.isEmpty ? "none" : request.contentType
            throw ESTError(415, "Content-Type must be application/pkcs10 (got \(got))")
        }
        // §3.2.3, §3.3.2: what the profile requires is presented, or 401 before the body.
        // The authority's last-known answer may let a request on (it is decided again, on
        // current settings, after the body), which saves a store read per request; a
        // refusal is made only on a current answer.
        let renewal = op == .simplereenroll
        func refuses(_ required: ClientAuthentication) throws -> Bool {
            if required.requiresCertificate(renewal: renewal), client == nil { return true }
            return try required.requiresHTTP(renewal: renewal) && Self.httpUser(request) == nil
        }
        let required: ClientAuthentication
        if let known = authority.lastKnownClientAuthentication(profile: route.label), try !refuses(known) {
            required = known
            // A 401 the authority makes after the body gets its challenge from current settings.
            outcome.realm = Self.realm(request)
        } else {
            required = authority.clientAuthentication(profile: route.label)
            if required.takesHTTP { outcome.challenge = Self.challenge(realm: Self.realm(request)) }
        }
        if required.requiresCertificate(renewal: renewal), client == nil {
            throw ESTError.unauthorized(clientCertificate(request).pemPresent ? "client certificate unreadable" : "client certificate required")
        }
        if required.requiresHTTP(renewal: renewal), try Self.httpUser(request) == nil {
            throw ESTError.unauthorized("HTTP authentication required")
        }
        return route
    }

    /// RFC 6960 Appendix A.1: POST at the responder's URL with an application/ocsp-request
    /// body, bounded like every body; GET (and HEAD) below it. No credentials: anyone may ask.
    private func preflightOCSP(_ request: ESTRequest, _ route: Route) throws {
        if route.ocspGET {
            guard request.method == "GET" || request.method == "HEAD" else {
                throw ESTError(405, "an OCSP request in the URL takes GET", headers: ["Allow": "GET, HEAD"])
            }
            return
        }
        guard request.method == "POST" else {
            throw ESTError(405, "OCSP takes POST here, or GET with the request below this URL", headers: ["Allow": "POST"])
        }
        if let declared = request.declaredLength, declared > Self.maxBodyBytes {
            throw ESTError(413, "request body over \(Self.maxBodyBytes) bytes")
        }
        guard request.contentType == "application/ocsp-request" else {
            let got = request.contentType.isEmpty ? "none" : request.contentType
            throw ESTError(415, "Content-Type must be application/ocsp-request (got \(got))")
        }
    }

    /// An OCSP request answered (RFC 6960 §2.3): HTTP 200 with an OCSPResponse whatever its
    /// status; malformedRequest for one that does not parse, decided here. A response without
    /// a nonce may be cached until its nextUpdate (RFC 5019 §6.2).
    private func answerOCSP(_ request: ESTRequest, _ route: Route, _ outcome: inout ESTOutcome) throws -> Answer {
        let parsed: Result<OCSPRequest, OCSPRequestError>
        if route.ocspGET {
            parsed = Result { () throws(OCSPRequestError) in try OCSPRequest(base64URLPath: request.ocspGETSegment) }
        } else {
            if request.bodyTimedOut { throw ESTError(408, "request body not received in time") }
            if request.bodyTruncated || request.body.count > Self.maxBodyBytes {
                throw ESTError(413, "request body over \(Self.maxBodyBytes) bytes")
            }
            parsed = Result { () throws(OCSPRequestError) in try OCSPRequest(der: request.body) }
        }
        let answer: OCSPAnswer
        switch parsed {
        case .failure(let e):
            answer = .unsuccessful(e.responseStatus, "\(e)")
        case .success(let ocspRequest):
            do {
                answer = try authority.ocsp(ocspRequest)
            } catch let e as ESTStatusError {
                answer = .unsuccessful(e.httpStatus == 503 ? .tryLater : .internalError, e.reason)
            } catch {
                answer = .unsuccessful(.internalError, "\(error)")
            }
        }
        outcome.ocspStatus = answer.status
        var headers: [(String, String)] = [("Content-Type", "application/ocsp-response")]
        if let from = answer.cacheableFrom, let until = answer.cacheableUntil {
            let maxAge = max(0, Int(until.timeIntervalSinceNow.rounded(.down)))
            headers += [
                ("Cache-Control", "max-age=\(maxAge), public, no-transform, must-revalidate"),
                ("Last-Modified", Self.httpDate(from)),
                ("Expires", Self.httpDate(until)),
                // RFC 5019 §6.2: a strong validator of these exact bytes.
                ("ETag", "\"" + Digest.sha256(answer.der).prefix(16).hexString + "\""),
            ]
        }
        return Answer(response: ESTResponse(status: 200, headers: headers, body: answer.der), serial: nil,
                      reason: "ocsp " + answer.summary)
    }

    /// An HTTP-date (RFC 9110 §5.6.7, IMF-fixdate), by arithmetic: a DateFormatter made per
    /// answer cost more than signing it (bench/run --ocsp).
    static func httpDate(_ date: Date) -> String {
        let secs = Int64(date.timeIntervalSince1970.rounded(.down))
        let days = secs >= 0 ? secs / 86400 : (secs - 86399) / 86400
        let rem = secs - days * 86400
        // Civil date from days since 1970-01-01 (H. Hinnant's days_from_civil inverse).
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let day = doy - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        let year = yoe + era * 400 + (month <= 2 ? 1 : 0)
        let weekdays = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"]  // 1970-01-01 was a Thursday
        let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
        func two(_ n: Int64) -> String { n < 10 ? "0\(n)" : "\(n)" }
        return "\(weekdays[Int(((days % 7) + 7) % 7)]), \(two(day)) \(months[Int(month - 1)]) \(year) "
            + "\(two(rem / 3600)):\(two(rem % 3600 / 60)):\(two(rem % 60)) GMT"
    }

    /// REMOTE_USER when the web server set one; it is a device identity here, so it is held
    /// to the limits of one: no control characters, at most 256 bytes.
    static func httpUser(_ request: ESTRequest) throws(ESTError) -> String? {
        guard let user = request.remoteUser else { return nil }
        guard user.utf8.count <= 256, !user.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) else {
            throw .unauthorized("HTTP user name refused (control characters or over 256 bytes)")
        }
        // The password file matched its bytes; the device it names is matched by bytes too,
        // so a second spelling of a registered name is no way in (see ByteName).
        guard ByteName.isNFC(user) else { throw ESTError(403, ByteName.notNFC("HTTP user name")) }
        return user
    }

    static func challenge(realm: String) -> String { "Basic realm=\"\(realm)\"" }

    /// The realm of the Basic challenge: the location's ESTFCGI_AUTH_REALM (the web server's
    /// `auth_basic` realm, so that clients reuse their credentials), else "estfcgi".
    static func realm(_ request: ESTRequest) -> String {
        guard let realm = request.params["ESTFCGI_AUTH_REALM"], (1...64).contains(realm.utf8.count),
              realm.utf8.allSatisfy({ (0x20...0x7e).contains($0) && $0 != UInt8(ascii: "\"") && $0 != UInt8(ascii: "\\") }) else {
            return "estfcgi"
        }
        return realm
    }

    private func dispatch(_ route: Route, _ request: ESTRequest, _ client: Certificate?, _ outcome: inout ESTOutcome) throws -> Answer {
        switch route.operation {
        case .cacerts:
            let certs = try ask(&outcome) { try authority.caCertificates(profile: route.label) }
            return Answer(response: try certsOnly(certs, mediaType: "application/pkcs7-mime"), serial: nil,
                          reason: "served \(certs.count) certificates")
        case .simpleenroll, .simplereenroll:
            let csr = try unlessUnknownProfile(route) { try readCSR(request) }
            let credentials = ClientCredentials(certificate: client, httpUser: try Self.httpUser(request))
            outcome.audited = true
            let event = outcome.issuedEvent(subject: csr.subject)
            let cert: Certificate
            if route.operation == .simpleenroll {
                cert = try ask(&outcome) { try authority.enroll(csr: csr, profile: route.label, credentials: credentials, audit: event) }
            } else {
                guard let client else { throw ESTError.unauthorized("client certificate required") }
                cert = try ask(&outcome) {
                    try authority.reenroll(ReenrollmentRequest(csr: csr, current: client, httpUser: credentials.httpUser),
                                           profile: route.label, audit: event)
                }
            }
            outcome.recordedWithCertificate = true
            // RFC 7030 §4.2.3; only the issued certificate, since libest refuses answers
            // over 4 KiB: the chain is what /cacerts is for.
            let response = try answering(cert) {
                try certsOnly([cert], mediaType: "application/pkcs7-mime; smime-type=certs-only")
            }
            return Answer(response: response, serial: cert.serialHex, reason: "issued \(cert.subject)")
        case .csrattrs:
            // RFC 7030 §4.5.2: nothing required -> 204; else base64 of the DER CsrAttrs.
            guard let der = try ask(&outcome, { try authority.csrAttributes(profile: route.label) }) else {
                return Answer(response: ESTResponse(status: 204), serial: nil, reason: "no CSR attributes configured")
            }
            return Answer(response: ESTResponse(status: 200, headers: [
                ("Content-Type", "application/csrattrs"),
                ("Content-Transfer-Encoding", "base64"),
            ], body: Data(der.base64Wrapped().utf8)), serial: nil, reason: "served CSR attributes")
        case .serverkeygen:
            let (csr, keyRequest) = try unlessUnknownProfile(route) {
                let csr = try readCSR(request)
                return (csr, try ServerKeyGenRequest(parsing: csr))
            }
            let credentials = ClientCredentials(certificate: client, httpUser: try Self.httpUser(request))
            outcome.audited = true
            let event = outcome.issuedEvent(subject: csr.subject)
            let result = try ask(&outcome) {
                try authority.serverKeyGen(keyRequest, profile: route.label, credentials: credentials, audit: event)
            }
            outcome.recordedWithCertificate = true
            let response = try answering(result.certificate) { try serverKeyGenResponse(result) }
            return Answer(response: response, serial: result.certificate.serialHex,
                          reason: "issued \(result.certificate.subject)"
                              + ServerGeneratedKey.auditDetail(keyType: result.keyType, encryptedTo: result.encryptedTo))
        case .crl:
            // RFC 5280 §4.2.1.13, RFC 2585 §4.2: the DER, as relying parties fetch it.
            let der = try ask(&outcome) { try route.crlIssuer.map { try authority.crl(issuer: $0) } ?? authority.crl(profile: route.label) }
            return Answer(response: ESTResponse(status: 200, headers: [("Content-Type", "application/pkix-crl")], body: der),
                          serial: nil, reason: "served the CRL")
        case .ocsp:
            return try answerOCSP(request, route, &outcome)
        case .fullcmc:
            throw ESTError(501, "full CMC (RFC 7030 §4.3) is not supported")
        }
    }

    /// Asks the authority, noting whether its answer proves the label names a profile: it
    /// resolves the profile before any other decision, so every answer but a 404 (unknown
    /// profile) or a 5xx (e.g. the store is down, before it could look) does.
    private func ask<T>(_ outcome: inout ESTOutcome, _ call: () throws -> T) throws -> T {
        do {
            let result = try call()
            outcome.profileProven = true
            return result
        } catch let e as ESTStatusError where e.httpStatus != 404 && e.httpStatus < 500 {
            outcome.profileProven = true
            throw e
        }
    }

    /// Builds the answer for an issued certificate; a failure names the recorded serial.
    private func answering(_ cert: Certificate, _ build: () throws -> ESTResponse) throws -> ESTResponse {
        do { return try build() } catch { throw AnswerFailed(serial: cert.serialHex, underlying: error) }
    }

    /// `read`'s refusal of a body, unless the label names no profile: then the authority's
    /// 404, whatever the body (an unknown profile is refused before any other decision, and
    /// the body is read before the authority is first asked). Asked only on a refusal, so
    /// an accepted body costs no extra lookup; a known profile keeps the body's refusal.
    private func unlessUnknownProfile<T>(_ route: Route, _ read: () throws -> T) throws -> T {
        do { return try read() } catch {
            do { _ = try authority.csrAttributes(profile: route.label) }
            catch let e as ESTStatusError where e.httpStatus == 404 { throw e }
            catch {}
            throw error
        }
    }

    /// The body of a CSR-carrying operation, after `preflight` (RFC 7030 §4.2.1, RFC 8951 §3).
    /// An unknown profile is the authority's 404 even when these checks refuse (`unlessUnknownProfile`).
    private func readCSR(_ request: ESTRequest) throws(ESTError) -> CertificateSigningRequest {
        if request.bodyTimedOut { throw ESTError(408, "request body not received in time") }
        if request.bodyTruncated || request.body.count > Self.maxBodyBytes {
            throw ESTError(413, "request body over \(Self.maxBodyBytes) bytes")
        }
        // The stream ended early (the client or web server cut it): say so, rather than
        // report the part that came as a malformed CSR (RFC 9112 §6.3: an incomplete message).
        if let declared = request.declaredLength, request.body.count < declared {
            throw .badRequest("request body ended after \(request.body.count) of \(declared) bytes")
        }
        // Content-Transfer-Encoding is ignored (RFC 8951 §3): base64, PEM or DER all parse.
        do { return try CertificateSigningRequest(anyEncoding: request.body) }
        catch { throw .badRequest("malformed CSR: \(error)") }
    }

    /// RFC 7030 §4.4.2: two parts, the key first, then the certificate.
    private func serverKeyGenResponse(_ r: ServerGeneratedKey) throws -> ESTResponse {
        var multipart = Multipart(boundary: "estfcgi-" + (try SecureRandom.bytes(12)).hexString)
        switch r.key {
        case .pkcs8(let der):
            multipart.parts.append(.init(contentType: "application/pkcs8", base64Body: der.base64Wrapped()))
        case .encrypted(let der, _):
            multipart.parts.append(.init(contentType: "application/pkcs7-mime; smime-type=server-generated-key",
                                         base64Body: der.base64Wrapped()))
        }
        let certs = try encodeCertsOnly([r.certificate])
        multipart.parts.append(.init(contentType: "application/pkcs7-mime; smime-type=certs-only",
                                     base64Body: certs.base64Wrapped()))
        return ESTResponse(status: 200, headers: [("Content-Type", multipart.contentType)], body: multipart.body)
    }

    /// Certs-only PKCS#7 as base64 wrapped at 64 columns (RFC 7030 §4.1.3, RFC 8951 §3).
    private func certsOnly(_ certs: [Certificate], mediaType: String) throws -> ESTResponse {
        ESTResponse(status: 200, headers: [
            ("Content-Type", mediaType),
            ("Content-Transfer-Encoding", "base64"),
        ], body: Data(try encodeCertsOnly(certs).base64Wrapped().utf8))
    }
}
