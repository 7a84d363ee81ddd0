import ESTCore
import ESTOpenSSL
import Foundation
import XCTest

/// An authority that records what the core asked and answers from fixed material.
final class FakeAuthority: EnrollmentAuthority {
    var audits: [AuditEvent] = []
    var enrolled: [(String?, String?)] = []
    var refuse: (any Error)?
    let caKey: PrivateKey
    let caCert: Certificate

    init() throws {
        caKey = try PrivateKey.generate(.ecP256)
        caCert = try CertificateSigner.sign(CertificateTemplate(
            subject: try DistinguishedName(parsing: "CN=Fake CA"), publicKey: try caKey.publicKey,
            serial: try CertificateTemplate.randomSerial(), notBefore: Date() - 60, notAfter: Date() + 86400,
            isCA: true, keyUsage: [.keyCertSign]), issuer: nil, issuerKey: caKey)
    }

    func caCertificates(profile: String?) throws -> [Certificate] {
        guard profile == nil || profile == "iot" else { throw ESTError.notFound("unknown profile '\(profile!)'") }
        return [caCert]
    }

    func sign(_ csr: CertificateSigningRequest) throws -> Certificate {
        try CertificateSigner.sign(CertificateTemplate(
            subject: csr.subject, publicKey: csr.publicKey, serial: try CertificateTemplate.randomSerial(),
            notBefore: Date(), notAfter: Date() + 3600, isCA: false, keyUsage: [.digitalSignature]),
            issuer: caCert, issuerKey: caKey)
    }

    /// What the real authority commits with each certificate: the core's event and the serial.
    var issuedAudits: [AuditEvent] = []

    /// What each profile authenticates with; certificates unless set.
    var authentication: [String: ClientAuthentication] = [:]
    var currentAuthenticationAsked = 0
    func clientAuthentication(profile: String?) -> ClientAuthentication {
        currentAuthenticationAsked += 1
        return authentication[profile ?? ""] ?? .certificate
    }
    /// What `lastKnownClientAuthentication` answers (nil unless set): may differ from `authentication`.
    var lastKnown: [String: ClientAuthentication] = [:]
    func lastKnownClientAuthentication(profile: String?) -> ClientAuthentication? { lastKnown[profile ?? ""] }

    var credentials: [ClientCredentials] = []
    func enroll(csr: CertificateSigningRequest, profile: String?, credentials: ClientCredentials, audit: AuditEvent) throws -> Certificate {
        _ = try caCertificates(profile: profile)  // unknown profile -> notFound, like the real one
        if let refuse { throw refuse }
        self.credentials.append(credentials)
        enrolled.append((profile, credentials.certificate?.subject.string))
        let cert = try sign(csr)
        var event = audit
        event.serial = cert.serialHex
        issuedAudits.append(event)
        return cert
    }

    func reenroll(_ request: ReenrollmentRequest, profile: String?, audit: AuditEvent) throws -> Certificate {
        try request.checkIdentity()
        return try enroll(csr: request.csr, profile: profile,
                          credentials: ClientCredentials(certificate: request.current, httpUser: request.httpUser), audit: audit)
    }

    var csrAttrs: Data? = nil
    func csrAttributes(profile: String?) throws -> Data? { csrAttrs }

    var keyRequests: [ServerKeyGenRequest] = []
    func serverKeyGen(_ request: ServerKeyGenRequest, profile: String?, credentials: ClientCredentials,
                      audit: AuditEvent) throws -> ServerGeneratedKey {
        keyRequests.append(request)
        let key = try PrivateKey.generate(.ecP256)
        let cert = try CertificateSigner.sign(CertificateTemplate(
            subject: request.template.subject, publicKey: try key.publicKey, serial: try CertificateTemplate.randomSerial(),
            notBefore: Date(), notAfter: Date() + 3600, isCA: false, keyUsage: [.digitalSignature]),
            issuer: caCert, issuerKey: caKey)
        var event = audit
        event.reason += ServerGeneratedKey.auditDetail(keyType: .ecP256, encryptedTo: nil)
        event.serial = cert.serialHex
        issuedAudits.append(event)
        return ServerGeneratedKey(key: .pkcs8(try key.pkcs8DER()), certificate: cert, keyType: .ecP256)
    }

    var crlDER: Data? = nil
    func crl(profile: String?) throws -> Data {
        guard let crlDER else { throw ESTError.notFound("no CRL published") }
        return crlDER
    }

    var crlIssuers: [String] = []
    func crl(issuer: String) throws -> Data {
        crlIssuers.append(issuer)
        guard let crlDER else { throw ESTError.notFound("no CRL published") }
        return crlDER
    }

    /// The OCSP requests asked, and the answer given (unauthorized unless set).
    var ocspRequests: [OCSPRequest] = []
    var ocspAnswer: OCSPAnswer = .unsuccessful(.unauthorized, "no CA here")
    var ocspError: (any Error)?
    func ocsp(_ request: OCSPRequest) throws -> OCSPAnswer {
        ocspRequests.append(request)
        if let ocspError { throw ocspError }
        return ocspAnswer
    }

    func audit(_ event: AuditEvent) throws { audits.append(event) }
}

final class RequestTests: XCTestCase {
    func testPathPrecedence() {
        XCTAssertEqual(ESTRequest(params: ["DOCUMENT_URI": "/a", "SCRIPT_NAME": "/b", "REQUEST_URI": "/c"]).path, "/a")
        XCTAssertEqual(ESTRequest(params: ["SCRIPT_NAME": "/.well-known/est", "PATH_INFO": "/iot/cacerts"]).path,
                       "/.well-known/est/iot/cacerts")
        XCTAssertEqual(ESTRequest(params: ["REQUEST_URI": "/.well-known/est/%69ot/cacerts?x=1"]).path, "/.well-known/est/iot/cacerts")
    }

    func testRoutes() throws {
        XCTAssertEqual(try Route.parse(path: "/.well-known/est/cacerts", pinned: nil), Route(label: nil, operation: .cacerts))
        XCTAssertEqual(try Route.parse(path: "/.well-known/est/iot/simpleenroll", pinned: nil), Route(label: "iot", operation: .simpleenroll))
        XCTAssertEqual(try Route.parse(path: "/.well-known/est/simpleenroll", pinned: "iot"), Route(label: "iot", operation: .simpleenroll))
        XCTAssertEqual(try Route.parse(path: "/.well-known/est/iot/cacerts", pinned: "iot"), Route(label: "iot", operation: .cacerts))
        for bad in ["/.well-known/est/", "/.well-known/est/nope", "/.well-known/est/a/b/cacerts", "/other/cacerts",
                    "/.well-known/est//cacerts", "/.well-known/est/cacerts/cacerts"] {
            XCTAssertThrowsError(try Route.parse(path: bad, pinned: nil), bad)
        }
        XCTAssertThrowsError(try Route.parse(path: "/.well-known/est/other/cacerts", pinned: "iot"))
        // A CA's CRL by its name, whatever a location pins (RFC 5280 §4.2.1.13).
        XCTAssertEqual(try Route.parse(path: "/.well-known/est/crl/issuing-2", pinned: nil),
                       Route(label: nil, operation: .crl, crlIssuer: "issuing-2"))
        XCTAssertEqual(try Route.parse(path: "/.well-known/est/crl/issuing-2", pinned: "iot"),
                       Route(label: nil, operation: .crl, crlIssuer: "issuing-2"))
        XCTAssertEqual(try Route.parse(path: "/.well-known/est/iot/crl", pinned: nil), Route(label: "iot", operation: .crl))
        for bad in ["/.well-known/est/crl/", "/.well-known/est/crl/..", "/.well-known/est/crl/a b", "/.well-known/est/crl/a/b",
                    "/.well-known/est/crl/" + String(repeating: "x", count: 65), "/.well-known/est/crl/a\u{0}",
                    // A later key's CRL is NAME(N): N 1-9999, no leading zero, no sign, a URL-safe NAME.
                    "/.well-known/est/crl/a(0)", "/.well-known/est/crl/a(01)", "/.well-known/est/crl/a()", "/.well-known/est/crl/a(-1)",
                    "/.well-known/est/crl/a(10000)", "/.well-known/est/crl/(1)", "/.well-known/est/crl/a(1", "/.well-known/est/crl/a(1)(2)",
                    "/.well-known/est/crl/a b(1)", "/.well-known/est/crl/..(1)", "/.well-known/est/crl/a(\u{661})"] {
            XCTAssertThrowsError(try Route.parse(path: bad, pinned: nil), bad) { XCTAssertEqual(($0 as? ESTError)?.httpStatus, 404, bad) }
        }
        XCTAssertEqual(try Route.parse(path: "/.well-known/est/crl/issuing-2(12)", pinned: "iot"),
                       Route(label: nil, operation: .crl, crlIssuer: "issuing-2(12)"))
        XCTAssertTrue(CRLIssuerPath.parse("issuing-2(12)")! == ("issuing-2", 12))
        XCTAssertTrue(CRLIssuerPath.parse("issuing-2")! == ("issuing-2", 0))
        XCTAssertEqual(CRLIssuerPath.url("https://h/.well-known/est/crl/{ca}", issuer: "r", keyIndex: 0), "https://h/.well-known/est/crl/r")
        XCTAssertEqual(CRLIssuerPath.url("http://h/{ca}.crl", issuer: "r", keyIndex: 2), "http://h/r(2).crl")
        // Found by FuzzRoute: the pinned label is held to the label syntax too (500: the
        // location is misconfigured), so it cannot carry a forged log line.
        for bad in ["\u{0}", "iot status=200 serial=01\nestfcgi: op=x", "simpleenroll"] {
            XCTAssertThrowsError(try Route.parse(path: "/.well-known/est/cacerts", pinned: bad)) {
                XCTAssertEqual(($0 as? ESTError)?.httpStatus, 500, bad)
            }
        }
    }

    func testClientCertificateComesOnlyFromTheWebServerVariable() throws {
        let pem = try FakeAuthority().caCert.pem
        let escaped = pem.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!
        XCTAssertEqual(ESTRequest(params: ["SSL_CLIENT_CERT": escaped]).clientCertificatePEM, pem.trimmingCharacters(in: .newlines))
        XCTAssertEqual(ESTRequest(params: ["SSL_CLIENT_CERT": pem]).clientCertificatePEM, pem.trimmingCharacters(in: .newlines))
        XCTAssertNil(ESTRequest(params: ["SSL_CLIENT_CERT": ""]).clientCertificatePEM)
        XCTAssertNil(ESTRequest(params: ["HTTP_SSL_CLIENT_CERT": pem, "HTTP_X_SSL_CLIENT_CERT": pem]).clientCertificatePEM)
    }
}

final class ServiceTests: XCTestCase {
    var fake: FakeAuthority!
    var service: ESTService!
    var client: Certificate!
    var deviceKey: PrivateKey!
    var csrDER: Data!

    override func setUpWithError() throws {
        fake = try FakeAuthority()
        service = ESTService(authority: fake)
        deviceKey = try PrivateKey.generate(.ecP256)
        client = try fake.sign(try CSRBuilder.make(subject: try DistinguishedName(parsing: "CN=device"), key: deviceKey,
                                                   extensions: [("subjectAltName", "DNS:device.example")]))
        csrDER = try CSRBuilder.make(subject: try DistinguishedName(parsing: "CN=new"), key: try PrivateKey.generate(.ecP256)).der
    }

    func request(_ method: String, _ path: String, body: Data = Data(), type: String? = "application/pkcs10",
                 cert: Bool = true, extra: [String: String] = [:]) -> ESTRequest {
        var params = ["REQUEST_METHOD": method, "DOCUMENT_URI": path]
        if let type { params["CONTENT_TYPE"] = type }
        if cert { params["SSL_CLIENT_CERT"] = client.pem }
        return ESTRequest(params: params.merging(extra) { a, _ in a }, body: body)
    }

    /// RFC 7030 §3.2.3: a profile taking HTTP authentication gets REMOTE_USER, and only when
    /// the web server says it authenticated (AUTH_TYPE); its 401s challenge for Basic.
    func testHTTPAuthenticationComesFromTheWebServerAndIsChallengedFor() throws {
        fake.authentication["iot"] = .http
        let path = "/.well-known/est/iot/simpleenroll"
        var out = service.handle(request("POST", path, body: csrDER, cert: false))
        XCTAssertEqual(out.response.status, 401)
        XCTAssertEqual(out.response.header("WWW-Authenticate"), "Basic realm=\"estfcgi\"")
        // nginx fills REMOTE_USER from the client's Authorization header wherever auth_basic is off.
        out = service.handle(request("POST", path, body: csrDER, cert: false,
                                     extra: ["REMOTE_USER": "dev", "HTTP_AUTHORIZATION": "Basic ZGV2Ong="]))
        XCTAssertEqual(out.response.status, 401, "a user name without AUTH_TYPE is no credential")
        out = service.handle(request("POST", path, body: csrDER, cert: false,
                                     extra: ["REMOTE_USER": "dev", "AUTH_TYPE": "Basic", "ESTFCGI_AUTH_REALM": "fleet"]))
        XCTAssertEqual(out.response.status, 200)
        XCTAssertEqual(fake.credentials.last?.httpUser, "dev")
        XCTAssertNil(fake.credentials.last?.certificate)
        XCTAssertEqual(out.client, "(http user dev)")
        out = service.handle(request("POST", path, body: csrDER, cert: false,
                                     extra: ["REMOTE_USER": "dev\u{1b}[2J", "AUTH_TYPE": "Basic", "ESTFCGI_AUTH_REALM": "fleet"]))
        XCTAssertEqual(out.response.status, 401, "a user name with control characters")
        XCTAssertEqual(out.response.header("WWW-Authenticate"), "Basic realm=\"fleet\"")
        out = service.handle(request("POST", path, body: csrDER, cert: false, extra: ["ESTFCGI_AUTH_REALM": "a\"b"]))
        XCTAssertEqual(out.response.header("WWW-Authenticate"), "Basic realm=\"estfcgi\"", "a realm that would break the header")
        // Certificates only: no challenge; cert+http: both.
        out = service.handle(request("POST", "/.well-known/est/simpleenroll", body: csrDER, cert: false))
        XCTAssertEqual(out.response.status, 401)
        XCTAssertNil(out.response.header("WWW-Authenticate"))
        fake.authentication["iot"] = .certificateAndHTTP
        out = service.handle(request("POST", path, body: csrDER))
        XCTAssertEqual(out.response.status, 401)
        XCTAssertNotNil(out.response.header("WWW-Authenticate"))
        out = service.handle(request("POST", path, body: csrDER, extra: ["REMOTE_USER": "dev", "AUTH_TYPE": "Basic"]))
        XCTAssertEqual(out.response.status, 200)
        XCTAssertNotNil(fake.credentials.last?.certificate)
    }

    /// The last-known answer (no store read) only lets a request on; a refusal before the body
    /// is made on the current answer, and a 401 after the body challenges on current settings.
    func testLastKnownClientAuthenticationOnlyLetsRequestsOn() throws {
        let path = "/.well-known/est/iot/simpleenroll"
        fake.lastKnown["iot"] = .certificate
        var out = service.handle(request("POST", path, body: csrDER))
        XCTAssertEqual(out.response.status, 200)
        XCTAssertEqual(fake.currentAuthenticationAsked, 0, "let on by the last-known answer")
        // Last known: HTTP (since changed to certificates): it would refuse, so the current answer decides.
        fake.lastKnown["iot"] = .http
        out = service.handle(request("POST", path, body: csrDER))
        XCTAssertEqual(out.response.status, 200)
        XCTAssertEqual(fake.currentAuthenticationAsked, 1)
        // Last known: certificates (since changed to HTTP): let on; the authority refuses after the
        // body, and that 401 challenges because the current settings take HTTP.
        fake.lastKnown["iot"] = .certificate
        fake.authentication["iot"] = .http
        fake.refuse = ESTError.unauthorized("HTTP authentication required")
        out = service.handle(request("POST", path, body: csrDER, extra: ["ESTFCGI_AUTH_REALM": "fleet"]))
        XCTAssertEqual(out.response.status, 401)
        XCTAssertEqual(out.response.header("WWW-Authenticate"), "Basic realm=\"fleet\"")
        XCTAssertEqual(fake.currentAuthenticationAsked, 2)
        // ... and no challenge when the current settings take certificates only.
        fake.authentication["iot"] = .certificate
        fake.refuse = ESTError.unauthorized("client certificate required")
        out = service.handle(request("POST", path, body: csrDER))
        XCTAssertEqual(out.response.status, 401)
        XCTAssertNil(out.response.header("WWW-Authenticate"))
        // Nothing known: the current answer, refused before the body.
        fake.lastKnown = [:]
        fake.refuse = nil
        out = service.handle(request("POST", path, body: csrDER, cert: false))
        XCTAssertEqual(out.response.status, 401)
        XCTAssertEqual(fake.currentAuthenticationAsked, 4)
    }

    /// One spelling per name: REMOTE_USER is matched by the web server's password file as
    /// bytes and then against a device name as bytes, so a decomposed (NFD) spelling, or
    /// invalid UTF-8 (decoded as U+FFFD), is refused with 403 before any authority sees it.
    func testHTTPUserNotInNFCIsRefused() throws {
        fake.authentication["iot"] = .http
        let path = "/.well-known/est/iot/simpleenroll"
        let nfc = "caf\u{E9}-03", nfd = "cafe\u{301}-03"
        XCTAssertEqual(nfc, nfd, "Swift String == is canonical equivalence")
        XCTAssertNotEqual(Array(nfc.utf8), Array(nfd.utf8))
        XCTAssertNotEqual(ByteName(nfc), ByteName(nfd))
        XCTAssertEqual(Set([ByteName(nfc), ByteName(nfd), ByteName(nfc)]).count, 2)
        XCTAssertTrue(ByteName.isNFC(nfc))
        XCTAssertFalse(ByteName.isNFC(nfd))
        XCTAssertTrue(ByteName.isNFC("\u{AC01}"), "Hangul LVT syllable")
        XCTAssertFalse(ByteName.isNFC("\u{AC00}\u{11A8}"), "Hangul LV + T composes to LVT")
        XCTAssertFalse(ByteName.isNFC("\u{212B}"), "ANGSTROM SIGN is a singleton decomposition")
        var out = service.handle(request("POST", path, body: csrDER, cert: false, extra: ["REMOTE_USER": nfc, "AUTH_TYPE": "Basic"]))
        XCTAssertEqual(out.response.status, 200)
        XCTAssertEqual(fake.credentials.last?.httpUser.map { Array($0.utf8) }, Array(nfc.utf8))
        let before = fake.credentials.count
        for user in [nfd, "caf\u{FFFD}-03"] {
            out = service.handle(request("POST", path, body: csrDER, cert: false, extra: ["REMOTE_USER": user, "AUTH_TYPE": "Basic"]))
            XCTAssertEqual(out.response.status, 403, user)
            XCTAssertTrue(String(decoding: out.response.body, as: UTF8.self).contains("HTTP user name is not UTF-8 in Unicode NFC"))
        }
        XCTAssertEqual(fake.credentials.count, before, "the authority was not asked")
    }

    func testCRLIsServedAsDER() throws {
        var out = service.handle(request("GET", "/.well-known/est/crl", cert: false))
        XCTAssertEqual(out.response.status, 404)
        fake.crlDER = Data([0x30, 0x03, 0x02, 0x01, 0x01])
        out = service.handle(request("GET", "/.well-known/est/iot/crl", cert: false))
        XCTAssertEqual(out.response.status, 200)
        XCTAssertEqual(out.response.header("Content-Type"), "application/pkix-crl")
        XCTAssertEqual(out.response.body, fake.crlDER)
        XCTAssertEqual(service.handle(request("POST", "/.well-known/est/crl")).response.status, 405)
    }

    func testCACertsShape() throws {
        let out = service.handle(request("GET", "/.well-known/est/cacerts", cert: false))
        XCTAssertEqual(out.response.status, 200)
        XCTAssertEqual(out.response.headers.map(\.0), ["Content-Type", "Content-Transfer-Encoding"])
        XCTAssertEqual(out.response.header("Content-Type"), "application/pkcs7-mime")
        let text = String(decoding: out.response.body, as: UTF8.self)
        XCTAssertTrue(text.split(separator: "\n").allSatisfy { $0.count <= 64 })
        XCTAssertEqual(try PKCS7CertsOnly.decode(out.response.body).map(\.der), [fake.caCert.der])
        XCTAssertTrue(fake.audits.isEmpty, "a public read is logged, not audited")
        XCTAssertEqual(service.unaudited, 1)
    }

    func testEnrollAcceptsEveryBodyEncoding() throws {
        let bodies = [csrDER!, Data(csrDER.base64EncodedString().utf8), Data(csrDER.base64Wrapped().utf8),
                      Data(PEM.encode(csrDER, label: "CERTIFICATE REQUEST").utf8)]
        for body in bodies {
            let out = service.handle(request("POST", "/.well-known/est/iot/simpleenroll", body: body,
                                             type: "Application/PKCS10; charset=x", extra: ["HTTP_CONTENT_TRANSFER_ENCODING": "7bit"]))
            XCTAssertEqual(out.response.status, 200, String(decoding: out.response.body, as: UTF8.self))
            XCTAssertEqual(out.response.header("Content-Type"), "application/pkcs7-mime; smime-type=certs-only")
            XCTAssertEqual(try PKCS7CertsOnly.decode(out.response.body).first?.subject.string, "CN=new")
        }
        XCTAssertEqual(fake.enrolled.map(\.0), Array(repeating: "iot", count: 4))
        XCTAssertEqual(fake.enrolled.first?.1, "CN=device")
    }

    func testRefusalStatuses() {
        let cases: [(name: String, request: ESTRequest, status: Int, audited: Bool)] = [
            ("GET on a POST operation", request("GET", "/.well-known/est/simpleenroll"), 405, false),
            ("POST on a GET operation", request("POST", "/.well-known/est/cacerts"), 405, false),
            ("text/plain body", request("POST", "/.well-known/est/simpleenroll", body: csrDER, type: "text/plain"), 415, false),
            ("no Content-Type", request("POST", "/.well-known/est/simpleenroll", body: csrDER, type: nil), 415, false),
            ("no client certificate", request("POST", "/.well-known/est/simpleenroll", body: csrDER, cert: false), 401, false),
            ("a client certificate only in an HTTP header",
             request("POST", "/.well-known/est/simpleenroll", body: csrDER, cert: false, extra: ["HTTP_SSL_CLIENT_CERT": client.pem]),
             401, false),
            ("a body that is no CSR", request("POST", "/.well-known/est/simpleenroll", body: Data("garbage!".utf8)), 400, false),
            ("a body over 64 KiB", request("POST", "/.well-known/est/simpleenroll", body: Data(count: 70_000)), 413, false),
            ("a declared length over 64 KiB",
             request("POST", "/.well-known/est/simpleenroll", body: Data(), extra: ["CONTENT_LENGTH": "70000"]), 413, false),
            ("a body the adapter cut", ESTRequest(params: request("POST", "/.well-known/est/simpleenroll").params, bodyTruncated: true),
             413, false),
            ("a body that timed out", ESTRequest(params: request("POST", "/.well-known/est/simpleenroll").params, bodyTimedOut: true),
             408, false),
            ("an unknown profile (the authority decides)", request("POST", "/.well-known/est/nope/simpleenroll", body: csrDER), 404, true),
            ("full CMC", request("POST", "/.well-known/est/fullcmc", body: csrDER), 501, false),
        ]
        for c in cases {
            let before = fake.audits.count
            XCTAssertEqual(service.handle(c.request).response.status, c.status, c.name)
            XCTAssertEqual(fake.audits.count - before, c.audited ? 1 : 0, c.name)
        }
        XCTAssertEqual(service.handle(request("GET", "/.well-known/est/simpleenroll")).response.header("Allow"), "POST")
        XCTAssertTrue(fake.enrolled.isEmpty, "no refused request reached enrollment")
        XCTAssertTrue(fake.audits.allSatisfy { $0.outcome == .refused })
    }

    func testRefusalsThatNeedNoBodyAreDecidedBeforeIt() {
        // The adapter asks first, so a body it may not send is never waited for.
        let head = { (extra: [String: String], cert: Bool, type: String?) in
            ESTRequest(params: self.request("POST", "/.well-known/est/simpleenroll", type: type, cert: cert, extra: extra).params)
        }
        XCTAssertEqual(service.refusalBeforeBody(head([:], false, "application/pkcs10"))?.response.status, 401)
        XCTAssertEqual(service.refusalBeforeBody(head([:], true, "text/plain"))?.response.status, 415)
        XCTAssertEqual(service.refusalBeforeBody(head(["CONTENT_LENGTH": "999999"], true, "application/pkcs10"))?.response.status, 413)
        XCTAssertNil(service.refusalBeforeBody(head(["CONTENT_LENGTH": "300"], true, "application/pkcs10")), "a body is wanted")
        XCTAssertNil(service.refusalBeforeBody(ESTRequest(params: ["REQUEST_METHOD": "GET", "DOCUMENT_URI": "/.well-known/est/cacerts"])))
    }

    func testLogLinesAndAuditFieldsAreOneLineAndBounded() throws {
        // nginx decodes %0A in the path: the 404 reason must not start a forged line.
        let forged = "/.well-known/est/x\n estfcgi: op=simpleenroll status=200 serial=abc\r\u{1b}[31m/cacerts"
        let out = service.handle(request("GET", forged))
        XCTAssertEqual(out.response.status, 404)
        XCTAssertFalse(out.logLine.contains("\n") || out.logLine.contains("\r") || out.logLine.contains("\u{1b}"), out.logLine)
        XCTAssertEqual(out.logLine.split(separator: "\n").count, 1)
        // A 10 KB subject is cut to the field limit in the log and in the audit.
        fake.refuse = AuthorityError(httpStatus: 403, reason: "not trusted: " + String(repeating: "A", count: 10_000) + "\n")
        let refused = service.handle(request("POST", "/.well-known/est/simpleenroll", body: csrDER))
        XCTAssertEqual(refused.response.status, 403)
        XCTAssertLessThan(refused.logLine.utf8.count, 2 * PrintableText.fieldLimit + 200)
        let audit = try XCTUnwrap(fake.audits.last)
        XCTAssertLessThanOrEqual(audit.reason.utf8.count, PrintableText.fieldLimit + 3)
        XCTAssertFalse(audit.reason.contains("\n"))
    }

    /// An authority's own error type, as ESTCA's CAError is: the core knows only the protocol.
    struct AuthorityError: ESTStatusError {
        let httpStatus: Int
        let reason: String
    }

    func testAuthorityRefusalsMapToStatusesAndHideInternals() {
        let cases: [(AuthorityError, Int)] = [(.init(httpStatus: 403, reason: "no"), 403), (.init(httpStatus: 400, reason: "bad"), 400),
                                              (.init(httpStatus: 401, reason: "who"), 401),
                                              (.init(httpStatus: 500, reason: "secret path /etc/x"), 500)]
        for (error, expected) in cases {
            fake.refuse = error
            let out = service.handle(request("POST", "/.well-known/est/simpleenroll", body: csrDER))
            XCTAssertEqual(out.response.status, expected)
            let body = String(decoding: out.response.body, as: UTF8.self)
            XCTAssertEqual(body.filter { $0 == "\n" }.count, 1, "one line")
            if expected == 500 { XCTAssertEqual(body, "internal error\n") } else { XCTAssertEqual(body, error.reason + "\n") }
            XCTAssertEqual(fake.audits.last?.reason, error.reason, "the audit keeps the real reason")
        }
    }

    /// A busy or full store is the client's to retry: 503 with Retry-After, no internals.
    func testUnavailableStoreIsRetryable() {
        fake.refuse = AuthorityError(httpStatus: 503, reason: "the CA store is busy (database is locked)")
        let out = service.handle(request("POST", "/.well-known/est/simpleenroll", body: csrDER))
        XCTAssertEqual(out.response.status, 503)
        XCTAssertEqual(out.response.header("Retry-After"), "1")
        XCTAssertEqual(String(decoding: out.response.body, as: UTF8.self), "temporarily unavailable; retry later\n")
        XCTAssertEqual(fake.audits.last?.reason, "the CA store is busy (database is locked)")
    }

    /// What the core hands the authority to commit with the certificate, and that it does
    /// not write a second record of the same issuance.
    func testIssuanceAuditTravelsWithTheCertificate() throws {
        let out = service.handle(request("POST", "/.well-known/est/iot/simpleenroll", body: csrDER))
        XCTAssertEqual(out.response.status, 200)
        XCTAssertEqual(fake.issuedAudits, [AuditEvent(operation: "simpleenroll", profile: "iot", client: "CN=device", status: 200,
                                                      outcome: .ok, reason: "issued CN=new", serial: out.serial)])
        XCTAssertEqual(fake.audits, [], "recorded once, by the authority")
        XCTAssertTrue(out.logLine.hasSuffix("audit=recorded"), out.logLine)
    }

    func testCSRAttrsAnswers204WhenEmptyAnd200WithBase64() throws {
        var out = service.handle(request("GET", "/.well-known/est/csrattrs", cert: false))
        XCTAssertEqual(out.response.status, 204)
        XCTAssertTrue(out.response.body.isEmpty)
        fake.csrAttrs = DER.sequence([OID.challengePassword.der])
        out = service.handle(request("GET", "/.well-known/est/csrattrs", cert: false))
        XCTAssertEqual(out.response.status, 200)
        XCTAssertEqual(out.response.header("Content-Type"), "application/csrattrs")
        XCTAssertEqual(PEM.decodeBase64(out.response.body), fake.csrAttrs)
    }

    func testServerKeyGenMultipartShape() throws {
        let out = service.handle(request("POST", "/.well-known/est/serverkeygen", body: csrDER))
        XCTAssertEqual(out.response.status, 200)
        let ctype = try XCTUnwrap(out.response.header("Content-Type"))
        XCTAssertTrue(ctype.hasPrefix("multipart/mixed; boundary="))
        XCTAssertNil(out.response.header("Content-Transfer-Encoding"), "RFC 2045 §6.4: not on the multipart entity")
        let boundary = String(ctype.dropFirst("multipart/mixed; boundary=".count))
        let body = String(decoding: out.response.body, as: UTF8.self)
        XCTAssertTrue(body.hasPrefix("--\(boundary)\r\nContent-Type: application/pkcs8\r\nContent-Transfer-Encoding: base64\r\n\r\n"))
        XCTAssertTrue(body.hasSuffix("\r\n--\(boundary)--\r\n"))
        let parts = body.components(separatedBy: "\r\n--\(boundary)")
        XCTAssertEqual(parts.count, 3, "two parts then the close delimiter")
        for part in parts.dropLast() {
            let partBody = try XCTUnwrap(part.components(separatedBy: "\r\n\r\n").last)
            XCTAssertFalse(partBody.contains("\r"), "libest mis-reads CR inside a part")
        }
        XCTAssertTrue(parts[1].contains("Content-Type: application/pkcs7-mime; smime-type=certs-only"))
        let certBody = try XCTUnwrap(parts[1].components(separatedBy: "\r\n\r\n").last)
        XCTAssertEqual(try PKCS7CertsOnly.decode(Data(certBody.utf8)).first?.subject.string, "CN=new")
    }
}
