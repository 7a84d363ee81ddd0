@testable import ESTCore
import XCTest

/// The request head as the web server passed it: the common spellings take a short path
/// that must read exactly as the general one.
final class ESTRequestTests: XCTestCase {
    func testDeclaredLength() {
        let cases: [(String?, Int?)] = [("123", 123), ("0", 0), (" 12 ", 12), ("\t7", 7), ("-1", nil), ("", nil), ("1a", nil),
                                        ("+5", 5), ("99999999999999999999999", nil), (nil, nil)]
        for (raw, want) in cases {
            XCTAssertEqual(ESTRequest(params: raw.map { ["CONTENT_LENGTH": $0] } ?? [:]).declaredLength, want, "\(raw ?? "nil")")
        }
    }

    func testContentType() {
        let cases: [(String?, String)] = [("application/pkcs10", "application/pkcs10"), ("Application/PKCS10", "application/pkcs10"),
                                          ("application/pkcs10; charset=x", "application/pkcs10"), (" application/pkcs10 ", "application/pkcs10"),
                                          ("application/ocsp-request", "application/ocsp-request"), ("", ""), (nil, ""),
                                          ("text/plain;", "text/plain"), ("a/b+c.d", "a/b+c.d")]
        for (raw, want) in cases {
            XCTAssertEqual(ESTRequest(params: raw.map { ["CONTENT_TYPE": $0] } ?? [:]).contentType, want, "\(raw ?? "nil")")
        }
    }
}
