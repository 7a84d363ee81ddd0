@testable import ESTCore
import XCTest

final class PrintableTextTests: XCTestCase {
    func testControlsAreEscapedAndFieldsBounded() {
        XCTAssertEqual(PrintableText.escaped("a\nb\r\u{1b}[31m\u{0}\u{7f}\u{85}\u{2028}ü"), "a\\x0ab\\x0d\\x1b[31m\\x00\\x7f\\x85\\u{2028}ü")
        XCTAssertEqual(PrintableText.escaped("CN=Example\\, Inc."), "CN=Example\\, Inc.", "RFC 4514 escapes stay as they are")
        let long = PrintableText.escaped(String(repeating: "é", count: 300), limit: 256)
        XCTAssertLessThanOrEqual(long.utf8.count, 259)
        XCTAssertTrue(long.hasSuffix("..."))
    }

    /// Printable ASCII comes back as it is up to the bound, and is cut past it like any text.
    func testPrintableASCIIIsBoundedToo() {
        let exact = String(repeating: "a", count: 256)
        XCTAssertEqual(PrintableText.escaped(exact, limit: 256), exact)
        XCTAssertEqual(PrintableText.escaped(exact + "b", limit: 256), exact + "...")
        XCTAssertEqual(PrintableText.escaped("~ !", limit: 3), "~ !")
        XCTAssertEqual(PrintableText.escaped("a\u{7f}", limit: 3), "a...", "DEL is escaped, and its escape is past the bound")
    }

    /// An error body is one line: CR and LF each become a space, a CR LF pair too (a search by
    /// Character sees it as one grapheme, neither CR nor LF).
    func testErrorBodyIsOneLine() {
        let body = ESTResponse.error(400, "a\r\nb\nc\rd \u{e9}").body
        XCTAssertEqual(String(decoding: body, as: UTF8.self), "a  b c d \u{e9}\n")
    }

    /// The log line quotes client text with '"' and shows a '"' inside it as '\''.
    func testLogLineQuotesStayBalanced() {
        let out = ESTOutcome(response: .error(403, "no"), operation: "simpleenroll", profile: "p", client: "CN=\"x\"",
                             reason: "say \"hi\"\r\n", serial: nil)
        XCTAssertTrue(out.logLine.contains("client=\"CN='x'\""), out.logLine)
        XCTAssertTrue(out.logLine.contains("reason=\"say 'hi'\\x0d\\x0a\""), out.logLine)
    }
}
