import COpenSSL
@testable import ESTOpenSSL
import Foundation
import XCTest

final class OpenSSLErrorTests: XCTestCase {
    /// A ContentInfo that names SignedData but holds a SEQUENCE that is not one: d2i fails
    /// deep inside, and OpenSSL queues the cause and each enclosing field.
    static let malformedPKCS7 = DER.sequence([
        OID(named: "1.2.840.113549.1.7.2").der,
        DER.tlv(0xa0, DER.sequence([DER.integer(1), DER.tlv(0x04, Data([1, 2, 3]))])),
    ])

    func testTheWholeQueueIsKeptAndShown() throws {
        do {
            _ = try PKCS7CertsOnly.decode(Self.malformedPKCS7)
            XCTFail("a malformed PKCS#7 parsed")
        } catch let e as OpenSSLError {
            XCTAssertGreaterThan(e.entries.count, 1, "only \(e.entries)")
            XCTAssertTrue(e.entries.allSatisfy { $0.hasPrefix("error:") }, "\(e.entries)")
            for entry in e.entries { XCTAssertTrue(e.description.contains(entry), "\(entry) not in \(e.description)") }
            XCTAssertTrue(e.description.hasPrefix("parse PKCS#7: "))
            XCTAssertFalse(e.description.contains("\n"))
        }
        XCTAssertEqual(ERR_peek_error(), 0, "the queue is left empty")
    }

    func testAGivenDetailIsShownAndTheQueueStillKept() {
        _ = try? PrivateKey(der: Data([0x30, 0x03, 0x02, 0x01, 0x05]))  // leaves nothing behind either
        do {
            _ = try Certificate(der: Self.malformedPKCS7)
            XCTFail("parsed")
        } catch let e as OpenSSLError {
            XCTAssertEqual(e.description, "parse certificate: not a DER X.509 certificate")
        } catch { XCTFail("\(error)") }
        let e = OpenSSLError("x", detail: "given")
        XCTAssertEqual(e.description, "x: given")
        XCTAssertEqual(e.entries, [])
    }

    func testTheQueueIsBounded() {
        // d2i called directly, so that nothing drains the queue in between.
        let bytes = [UInt8](Self.malformedPKCS7)
        for _ in 0..<(OpenSSLError.maxEntries + 5) {
            bytes.withUnsafeBufferPointer { buf in
                var p: UnsafePointer<UInt8>? = buf.baseAddress
                XCTAssertNil(d2i_PKCS7(nil, &p, buf.count))
            }
        }
        let e = OpenSSLError("many")
        XCTAssertGreaterThan(e.entries.count, OpenSSLError.shownEntries, "every entry OpenSSL held is kept")
        XCTAssertEqual(e.description.components(separatedBy: "; error:").count, OpenSSLError.shownEntries, e.description)
        XCTAssertTrue(e.description.hasSuffix("; (\(e.entries.count - OpenSSLError.shownEntries) more)"), e.description)
        XCTAssertEqual(ERR_peek_error(), 0)
        XCTAssertEqual(OpenSSLError.oneLine("a\nb\u{0}c"), "a?b?c")
        XCTAssertLessThanOrEqual(OpenSSLError.oneLine(String(repeating: "x", count: 1000)).utf8.count,
                                 OpenSSLError.maxEntryBytes + 3)
    }
}
