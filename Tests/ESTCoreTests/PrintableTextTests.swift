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
}
