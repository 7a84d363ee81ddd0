@testable import ESTCore
@testable import ESTFastCGI
import ESTOpenSSL
import Foundation
import XCTest

/// An authority whose store is down (every call 503), or that knows only profile "iot".
private final class StoreDownAuthority: EnrollmentAuthority {
    var down = true
    func refuse(_ profile: String?) throws -> Never {
        if down { throw ESTError(503, "the CA store (PostgreSQL) is unreachable") }
        if profile != "iot" { throw ESTError.notFound("unknown profile") }
        throw ESTError(403, "client certificate not trusted")
    }
    func caCertificates(profile: String?) throws -> [Certificate] { try refuse(profile) }
    func clientAuthentication(profile: String?) -> ClientAuthentication { .http }
    func enroll(csr: CertificateSigningRequest, profile: String?, credentials: ClientCredentials, audit: AuditEvent) throws -> Certificate {
        try refuse(profile)
    }
    func reenroll(_ request: ReenrollmentRequest, profile: String?, audit: AuditEvent) throws -> Certificate { try refuse(profile) }
    func serverKeyGen(_ request: ServerKeyGenRequest, profile: String?, credentials: ClientCredentials,
                      audit: AuditEvent) throws -> ServerGeneratedKey { try refuse(profile) }
    func csrAttributes(profile: String?) throws -> Data? { try refuse(profile) }
    func crl(profile: String?) throws -> Data { try refuse(profile) }
    func crl(issuer: String) throws -> Data { try refuse(nil) }
    func ocsp(_ request: OCSPRequest) throws -> OCSPAnswer { try refuse(nil) }
    func audit(_ event: AuditEvent) throws {}
}

/// Issue 20 item 3: a label becomes a metric series only once the authority proved it
/// names a profile, on every path, 503s included.
final class UnprovenLabelTests: XCTestCase {
    func testRandomLabelsWhileTheStoreIsDownGrowNoSeries() throws {
        let authority = StoreDownAuthority()
        let service = ESTService(authority: authority)
        let metrics = Metrics()
        let csr = try CSRBuilder.make(subject: try DistinguishedName(parsing: "CN=x"), key: try PrivateKey.generate(.ecP256)).der
        func send(_ label: String, _ op: String = "simpleenroll") -> ESTOutcome {
            let post = op != "cacerts" && op != "csrattrs" && op != "crl"
            let outcome = service.handle(ESTRequest(params: [
                "REQUEST_METHOD": post ? "POST" : "GET", "DOCUMENT_URI": "/.well-known/est/\(label)/\(op)",
                "CONTENT_TYPE": "application/pkcs10", "CONTENT_LENGTH": "\(csr.count)",
                "REMOTE_USER": "dev", "AUTH_TYPE": "Basic",
            ], body: post ? csr : Data()))
            metrics.record(outcome, seconds: 0.001)
            return outcome
        }
        func series() -> [String] { metrics.render().split(separator: "\n").map(String.init).filter { $0.hasPrefix("estfcgi_requests_total{") } }
        var statuses = Set<Int>()
        for i in 0..<40 {
            let label = "r\(i)-\(UUID().uuidString.prefix(8))"
            for op in ["simpleenroll", "serverkeygen", "cacerts", "csrattrs", "crl"] {
                let outcome = send(label, op)
                statuses.insert(outcome.response.status)
                XCTAssertEqual(outcome.response.header("Retry-After"), "1", op)
            }
        }
        XCTAssertEqual(statuses, [503])
        XCTAssertFalse(metrics.render().contains(#"profile="r"#), "no client label in any series")
        XCTAssertEqual(series().count, 5, "one series per operation, under profile \"\": \(series())")
        XCTAssertTrue(series().allSatisfy { $0.contains(#"profile="",status="503""#) })
        // Store back: an unknown label still names nothing; a profile's refusal names it.
        authority.down = false
        XCTAssertEqual(send("nosuch").response.status, 404)
        XCTAssertEqual(send("iot").response.status, 403)
        XCTAssertTrue(series().contains(#"estfcgi_requests_total{operation="simpleenroll",profile="iot",status="403"} 1"#), "\(series())")
        XCTAssertEqual(series().count, 7)
    }
}
