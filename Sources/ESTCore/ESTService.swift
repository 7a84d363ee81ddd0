import ESTCA
import ESTOpenSSL
import Foundation

/// The EST protocol core: a request value in, a response value out. It does no I/O of
/// its own; everything it learns about certificates it asks the EnrollmentAuthority.
public final class ESTService {
    public let authority: any EnrollmentAuthority
    /// RFC 7030 does not bound a CSR; 64 KiB is far above any real one.
    public static let maxBodyBytes = 64 * 1024

    public init(authority: any EnrollmentAuthority) {
        self.authority = authority
    }

    /// What one request did, for the adapter's log line (the audit row is already written).
    public struct Outcome: Sendable {
        public var response: ESTResponse
        public var operation: String
        public var profile: String?
        public var client: String?
        public var reason: String
        public var serial: String?

        /// `est op=simpleenroll profile=iot client="CN=dev" status=200 reason="issued"`.
        public var logLine: String {
            func q(_ s: String) -> String { "\"" + s.replacingOccurrences(of: "\"", with: "'") + "\"" }
            var line = "estfcgi: op=\(operation) profile=\(profile ?? "-") client=\(q(client ?? "-")) status=\(response.status)"
            if let serial { line += " serial=\(serial)" }
            line += " reason=\(q(reason))"
            return line
        }
    }

    public func handle(_ request: ESTRequest) -> Outcome {
        var outcome = Outcome(response: .error(500, "internal error"), operation: "-", profile: nil, client: nil,
                              reason: "", serial: nil)
        let clientCert = request.clientCertificatePEM.flatMap { try? Certificate(pem: $0) }
        outcome.client = clientCert?.subject.string
        if request.clientCertificatePEM != nil, clientCert == nil { outcome.client = "(unparseable certificate)" }

        do {
            let route = try Route.parse(path: request.path, pinned: request.params["ESTFCGI_PROFILE"])
            outcome.operation = route.operation.rawValue
            outcome.profile = route.label
            let (response, serial, reason) = try dispatch(route, request, clientCert)
            outcome.response = response
            outcome.serial = serial
            outcome.reason = reason
        } catch let Route.Failure.notFound(reason) {
            outcome.response = .error(404, reason)
            outcome.reason = reason
        } catch let e as Refusal {
            outcome.response = .error(e.status, e.reason, extraHeaders: e.headers)
            outcome.reason = e.reason
        } catch let e as CAError {
            let status: Int
            switch e {
            case .notFound: status = 404
            case .unauthenticated: status = 401
            case .forbidden: status = 403
            case .badRequest: status = 400
            case .internalFailure: status = 500
            }
            // Internal details go to the audit log and error log, not to the client.
            outcome.response = .error(status, status == 500 ? "internal error" : e.reason)
            outcome.reason = e.reason
        } catch {
            outcome.response = .error(500, "internal error")
            outcome.reason = "\(error)"
        }
        let status = outcome.response.status
        authority.audit(AuditEvent(operation: outcome.operation, profile: outcome.profile, client: outcome.client,
                                   status: status, outcome: status < 300 ? "ok" : "refused",
                                   reason: outcome.reason, serial: outcome.serial))
        return outcome
    }

    /// A protocol-level refusal decided here rather than by the authority.
    struct Refusal: Error {
        var status: Int
        var reason: String
        var headers: [(String, String)] = []
    }

    private func dispatch(_ route: Route, _ request: ESTRequest, _ client: Certificate?) throws
        -> (ESTResponse, String?, String) {
        let op = route.operation
        guard request.method == op.allowedMethod || (op.allowedMethod == "GET" && request.method == "HEAD") else {
            throw Refusal(status: 405, reason: "\(op.rawValue) takes \(op.allowedMethod)",
                          headers: [("Allow", op.allowedMethod == "GET" ? "GET, HEAD" : "POST")])
        }
        switch op {
        case .cacerts:
            let certs = try authority.caCertificates(profile: route.label)
            return (Self.certsOnly(certs, mediaType: "application/pkcs7-mime"), nil, "served \(certs.count) certificates")
        case .simpleenroll, .simplereenroll:
            let csr = try readCSR(request, client: client)
            let cert = op == .simpleenroll
                ? try authority.enroll(csr: csr, profile: route.label, client: client)
                : try authority.reenroll(csr: csr, profile: route.label, client: client)
            // RFC 7030 §4.2.3; only the issued certificate, since libest refuses answers
            // over 4 KiB: the chain is what /cacerts is for.
            return (Self.certsOnly([cert], mediaType: "application/pkcs7-mime; smime-type=certs-only"),
                    cert.serialHex, "issued \(cert.subject)")
        case .csrattrs:
            // RFC 7030 §4.5.2: nothing required -> 204; else base64 of the DER CsrAttrs.
            guard let der = try authority.csrAttributes(profile: route.label) else {
                return (ESTResponse(status: 204), nil, "no CSR attributes configured")
            }
            return (ESTResponse(status: 200, headers: [
                ("Content-Type", "application/csrattrs"),
                ("Content-Transfer-Encoding", "base64"),
            ], body: Data(der.base64Wrapped().utf8)), nil, "served CSR attributes")
        case .serverkeygen:
            let csr = try readCSR(request, client: client)
            let result = try authority.serverKeyGen(csr: csr, profile: route.label, client: client)
            return (try Self.serverKeyGenResponse(result), result.certificate.serialHex,
                    "issued \(result.certificate.subject) with a server-generated \(result.keyType.rawValue) key"
                        + (result.encryptedTo.map { " encrypted to \($0)" } ?? ""))
        case .fullcmc:
            throw Refusal(status: 501, reason: "full CMC (RFC 7030 §4.3) is not supported")
        }
    }

    /// The body checks common to every CSR-carrying operation (RFC 7030 §4.2.1, RFC 8951 §3).
    /// An unknown profile is the authority's 404, decided after these checks of the request's shape.
    private func readCSR(_ request: ESTRequest, client: Certificate?) throws -> CertificateSigningRequest {
        if request.bodyTruncated || request.body.count > Self.maxBodyBytes {
            throw Refusal(status: 413, reason: "request body over \(Self.maxBodyBytes) bytes")
        }
        guard request.contentType == "application/pkcs10" else {
            let got = request.contentType.isEmpty ? "none" : request.contentType
            throw Refusal(status: 415, reason: "Content-Type must be application/pkcs10 (got \(got))")
        }
        guard client != nil else {
            if request.clientCertificatePEM != nil { throw Refusal(status: 401, reason: "client certificate unreadable") }
            throw CAError.unauthenticated("client certificate required")
        }
        // Content-Transfer-Encoding is ignored (RFC 8951 §3): base64, PEM or DER all parse.
        do { return try CertificateSigningRequest(anyEncoding: request.body) }
        catch { throw Refusal(status: 400, reason: "malformed CSR: \(error)") }
    }

    /// RFC 7030 §4.4.2: two parts, the key first, then the certificate.
    static func serverKeyGenResponse(_ r: ServerGeneratedKey) throws -> ESTResponse {
        var multipart = Multipart(boundary: "estfcgi-" + (try SecureRandom.bytes(12)).hexString)
        switch r.key {
        case .pkcs8(let der):
            multipart.parts.append(.init(contentType: "application/pkcs8", base64Body: der.base64Wrapped()))
        case .encrypted(let der, _):
            multipart.parts.append(.init(contentType: "application/pkcs7-mime; smime-type=server-generated-key",
                                         base64Body: der.base64Wrapped()))
        }
        let certs = try PKCS7CertsOnly.encode([r.certificate])
        multipart.parts.append(.init(contentType: "application/pkcs7-mime; smime-type=certs-only",
                                     base64Body: certs.base64Wrapped()))
        return ESTResponse(status: 200, headers: [("Content-Type", multipart.contentType)], body: multipart.body)
    }

    /// Certs-only PKCS#7 as base64 wrapped at 64 columns (RFC 7030 §4.1.3, RFC 8951 §3).
    static func certsOnly(_ certs: [Certificate], mediaType: String) -> ESTResponse {
        guard let der = try? PKCS7CertsOnly.encode(certs) else { return .error(500, "internal error") }
        return ESTResponse(status: 200, headers: [
            ("Content-Type", mediaType),
            ("Content-Transfer-Encoding", "base64"),
        ], body: Data(der.base64Wrapped().utf8))
    }
}
