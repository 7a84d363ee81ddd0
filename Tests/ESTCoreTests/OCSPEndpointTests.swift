@testable import ESTCore
import ESTOpenSSL
import Foundation
import XCTest

/// The OCSP endpoint's wire rules (RFC 6960 Appendix A, RFC 5019 §5, §6): routes, methods,
/// media type, malformed requests answered in OCSP, and the GET request read raw.
final class OCSPEndpointTests: XCTestCase {
    /// A valid OCSPRequest (one SHA-1 CertID, serial 013e10cd3161dfff, no nonce) whose
    /// base64 holds both '//' and '+'.
    static let requestB64 = "MEkwRzBFMEMwQTAJBgUrDgMCGgUABBQAAQIDBAUGBwgJCgsMDQ4PEBESEwQUFBUWFxgZGhscHR4fICEiIyQlJicCCAE+EM0xYd//"
    static let malformedRequestDER = Data([0x30, 0x03, 0x0a, 0x01, 0x01])

    var fake: FakeAuthority!
    var service: ESTService!

    override func setUpWithError() throws {
        fake = try FakeAuthority()
        service = ESTService(authority: fake)
    }

    func request(_ method: String, params: [String: String], body: Data = Data()) -> ESTRequest {
        ESTRequest(params: params.merging(["REQUEST_METHOD": method]) { a, _ in a }, body: body)
    }

    func testRoutes() throws {
        XCTAssertEqual(try Route.parse(path: "/.well-known/est/ocsp", pinned: nil), Route(label: nil, operation: .ocsp))
        XCTAssertEqual(try Route.parse(path: "/.well-known/est/ocsp/MEk/a//b+", pinned: "iot"),
                       Route(label: nil, operation: .ocsp, ocspGET: true), "public whatever the location pins; '/' belongs to the request")
        XCTAssertThrowsError(try Route.parse(path: "/.well-known/est/iot/ocsp", pinned: nil), "no OCSP under a label")
        XCTAssertThrowsError(try ProfileLabel.validate("ocsp"), "a reserved label")
    }

    /// nginx's DOCUMENT_URI merges '//' (merge_slashes): the segment comes from REQUEST_URI.
    func testGETSegmentIsTakenRawFromRequestURI() {
        let raw = "/.well-known/est/ocsp/" + Self.requestB64
        let merged = raw.replacingOccurrences(of: "//", with: "/")
        var r = ESTRequest(params: ["DOCUMENT_URI": merged, "REQUEST_URI": raw + "?x=1"])
        XCTAssertEqual(r.ocspGETSegment, Self.requestB64)
        // A short URL the web server maps to the responder, named by ESTFCGI_OCSP_PREFIX.
        r = ESTRequest(params: ["DOCUMENT_URI": merged, "REQUEST_URI": "/ocsp/" + Self.requestB64, "ESTFCGI_OCSP_PREFIX": "/ocsp"])
        XCTAssertEqual(r.ocspGETSegment, Self.requestB64)
        // Without a raw URI that starts with either, the decoded path (which lost a slash).
        r = ESTRequest(params: ["DOCUMENT_URI": merged, "REQUEST_URI": "/elsewhere/" + Self.requestB64])
        XCTAssertEqual(r.ocspGETSegment, String(merged.dropFirst("/.well-known/est/ocsp/".count)))
    }

    func testGETWithDoubleSlashReachesTheAuthority() throws {
        let raw = "/.well-known/est/ocsp/" + Self.requestB64
        let out = service.handle(request("GET", params: ["DOCUMENT_URI": raw.replacingOccurrences(of: "//", with: "/"), "REQUEST_URI": raw]))
        XCTAssertEqual(out.response.status, 200)
        XCTAssertEqual(out.response.header("Content-Type"), "application/ocsp-response")
        XCTAssertEqual(fake.ocspRequests.count, 1)
        XCTAssertEqual(fake.ocspRequests.first?.certIDs.first?.serialHex, "13e10cd3161dfff")
        XCTAssertEqual(out.ocspStatus, "unauthorized")
        XCTAssertFalse(out.audited, "an OCSP request writes nothing to the store")
        XCTAssertTrue(fake.audits.isEmpty)
    }

    func testMalformedIsAnOCSPAnswerNotAnHTTPError() {
        var out = service.handle(request("POST", params: ["DOCUMENT_URI": "/.well-known/est/ocsp", "CONTENT_TYPE": "application/ocsp-request"],
                                         body: Data("garbage".utf8)))
        XCTAssertEqual(out.response.status, 200)
        XCTAssertEqual(out.response.body, Self.malformedRequestDER)
        XCTAssertEqual(out.ocspStatus, "malformedRequest")
        out = service.handle(request("GET", params: ["DOCUMENT_URI": "/.well-known/est/ocsp/not*base64", "REQUEST_URI": "/.well-known/est/ocsp/not*base64"]))
        XCTAssertEqual(out.response.status, 200)
        XCTAssertEqual(out.response.body, Self.malformedRequestDER)
        XCTAssertTrue(fake.ocspRequests.isEmpty, "the authority is not asked about what does not parse")
    }

    func testMethodsAndMediaType() {
        var out = service.handle(request("GET", params: ["DOCUMENT_URI": "/.well-known/est/ocsp"]))
        XCTAssertEqual(out.response.status, 405)
        XCTAssertEqual(out.response.header("Allow"), "POST")
        out = service.handle(request("POST", params: ["DOCUMENT_URI": "/.well-known/est/ocsp/abc", "CONTENT_TYPE": "application/ocsp-request"]))
        XCTAssertEqual(out.response.status, 405)
        XCTAssertEqual(out.response.header("Allow"), "GET, HEAD")
        out = service.handle(request("POST", params: ["DOCUMENT_URI": "/.well-known/est/ocsp", "CONTENT_TYPE": "application/pkcs10"],
                                     body: Data(base64Encoded: Self.requestB64)!))
        XCTAssertEqual(out.response.status, 415)
        out = service.handle(request("POST", params: ["DOCUMENT_URI": "/.well-known/est/ocsp", "CONTENT_TYPE": "application/ocsp-request",
                                                      "CONTENT_LENGTH": "100000"]))
        XCTAssertEqual(out.response.status, 413)
        XCTAssertTrue(fake.ocspRequests.isEmpty)
    }

    /// RFC 5019 §6.2: caching headers only for an answer the authority says may be cached.
    func testCachingHeaders() throws {
        let post = request("POST", params: ["DOCUMENT_URI": "/.well-known/est/ocsp", "CONTENT_TYPE": "application/ocsp-request"],
                           body: Data(base64Encoded: Self.requestB64)!)
        let now = Date()
        fake.ocspAnswer = OCSPAnswer(der: Data([0x30, 0x00]), status: "successful", cacheableFrom: now, cacheableUntil: now + 3600,
                                     summary: "good")
        var out = service.handle(post)
        let cache = try XCTUnwrap(out.response.header("Cache-Control"))
        XCTAssertTrue(cache.hasPrefix("max-age=35") && cache.hasSuffix(", public, no-transform, must-revalidate"), cache)
        XCTAssertNotNil(out.response.header("ETag"))
        XCTAssertEqual(out.response.header("Last-Modified"), ESTService.httpDate(now))
        fake.ocspAnswer = OCSPAnswer(der: Data([0x30, 0x00]), status: "successful", summary: "good, nonce echoed")
        out = service.handle(post)
        XCTAssertNil(out.response.header("Cache-Control"))
        XCTAssertNil(out.response.header("ETag"))
    }

    /// RFC 9110 §5.6.7's example, and dates around leap days and the epoch.
    func testHTTPDate() {
        XCTAssertEqual(ESTService.httpDate(Date(timeIntervalSince1970: 784_111_777)), "Sun, 06 Nov 1994 08:49:37 GMT")
        XCTAssertEqual(ESTService.httpDate(Date(timeIntervalSince1970: 0)), "Thu, 01 Jan 1970 00:00:00 GMT")
        XCTAssertEqual(ESTService.httpDate(Date(timeIntervalSince1970: 951_782_400)), "Tue, 29 Feb 2000 00:00:00 GMT")
        XCTAssertEqual(ESTService.httpDate(Date(timeIntervalSince1970: 1_798_761_599.9)), "Thu, 31 Dec 2026 23:59:59 GMT")
        let f = DateFormatter()
        f.locale = Locale(identifier: "en_US_POSIX")
        f.timeZone = TimeZone(identifier: "GMT")
        f.dateFormat = "EEE, dd MMM yyyy HH:mm:ss 'GMT'"
        for t in stride(from: -86_400.0 * 400, to: 86_400.0 * 365 * 200, by: 86_400.0 * 37 + 3_671) {
            XCTAssertEqual(ESTService.httpDate(Date(timeIntervalSince1970: t)), f.string(from: Date(timeIntervalSince1970: t)))
        }
    }

    /// A store that is busy is tryLater (RFC 6960 §2.3), anything else thrown internalError.
    func testAuthorityFailuresAreOCSPStatuses() {
        let post = request("POST", params: ["DOCUMENT_URI": "/.well-known/est/ocsp", "CONTENT_TYPE": "application/ocsp-request"],
                           body: Data(base64Encoded: Self.requestB64)!)
        fake.ocspError = ESTError(503, "store busy")
        var out = service.handle(post)
        XCTAssertEqual(out.response.status, 200)
        XCTAssertEqual(out.response.body, Data([0x30, 0x03, 0x0a, 0x01, 0x03]))
        fake.ocspError = ESTError(500, "broken")
        out = service.handle(post)
        XCTAssertEqual(out.response.body, Data([0x30, 0x03, 0x0a, 0x01, 0x02]))
        XCTAssertEqual(out.ocspStatus, "internalError")
    }
}
