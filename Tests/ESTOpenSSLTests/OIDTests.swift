import ESTOpenSSL
import Foundation
import XCTest

final class OIDTests: XCTestCase {
    func testOnlyASCIIDottedDecimalsWithAValidFirstArc() {
        for good in ["1.2", "2.5.29.17", "1.3.6.1.4.1.311.20.2.2", "2.999.1", "0.39"] {
            XCTAssertNotNil(OID(good), good)
        }
        let bad = [
            "1.٣",  // Arabic-Indic digit three: isNumber is true, no encoder can write it
            "1.２", "1", "", "1.", ".1", "1..2", "3.1", "0.40", "1.40", "1.02", "1.2a", "-1.2", "1.2 ", " 1.2",
            "1.18446744073709551616",  // past 64 bits
        ]
        for text in bad { XCTAssertNil(OID(text), text) }
    }

    func testDEREncodingMatchesX690() throws {
        // X.690 §8.19: 2.5.29.17 -> 06 03 55 1d 11; 1.2.840.113549.1.9.14 as in every CSR.
        XCTAssertEqual(OID.subjectAltName.der.hexString, "0603551d11")
        XCTAssertEqual(OID.extensionRequest.der.hexString, "06092a864886f70d01090e")
        XCTAssertEqual(OID("2.999.3")?.der.hexString, "0603883703")
        for oid in [OID.subjectAltName, .extensionRequest, .msSmartcardLogin, .asymmetricKeyPackage] {
            XCTAssertEqual(OID(derContent: oid.der.dropFirst(2)), oid)
        }
        XCTAssertNil(OID(derContent: Data([0x2a, 0x80])), "unterminated arc")
        XCTAssertNil(OID(derContent: Data([0x80, 0x01])), "non-minimal arc")
        XCTAssertNil(OID(derContent: Data()), "no arc")
        XCTAssertNil(OID(derContent: Data([0x82, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00])), "past 64 bits")
    }

    /// The DER reader writes the dotted form itself: it must agree with the text parser and
    /// encoder for every first-arc boundary (X.690 §8.19.4) and for long arcs.
    func testDERContentAgreesWithTheDottedForm() throws {
        var generator = SystemRandomNumberGenerator()
        var texts = ["0.0", "0.39", "1.0", "1.39", "2.0", "2.39", "2.40", "2.47", "2.999.3", "1.2.840.113549.1.9.14",
                     "2.18446744073709551535", "1.3.18446744073709551615", "2.25.0.0.0"]
        for _ in 0..<500 {
            let first = UInt64.random(in: 0...2, using: &generator)
            var arcs = [first, first == 2 ? UInt64.random(in: 0...100_000, using: &generator) : UInt64.random(in: 0...39, using: &generator)]
            for _ in 0..<Int.random(in: 0...8, using: &generator) {
                arcs.append([UInt64.random(in: 0...127, using: &generator), .random(in: 0...UInt64(UInt32.max), using: &generator),
                             .random(in: 0...UInt64.max, using: &generator)][Int.random(in: 0...2, using: &generator)])
            }
            texts.append(arcs.map(String.init).joined(separator: "."))
        }
        for text in texts {
            let oid = try XCTUnwrap(OID(text), text)
            let decoded = try XCTUnwrap(OID(derContent: oid.der.dropFirst(2)), text)
            XCTAssertEqual(decoded.dotted, text)
            XCTAssertEqual(decoded.der, oid.der, text)
        }
        // The dotted form's 256-character limit holds for DER too.
        let fits = OID("2.5" + String(repeating: ".18446744073709551615", count: 11))!  // 234 characters
        XCTAssertEqual(OID(derContent: fits.der.dropFirst(2)), fits)
        let arc = Data(repeating: 0xff, count: 8) + Data([0x7f])  // 2^63 - 1: 19 digits
        let content = Data([0x55]) + (0..<15).reduce(Data()) { d, _ in d + arc }  // 2.5 and 15 of them: 303
        XCTAssertNil(OID(derContent: content))
        XCTAssertNil(OID("2.5" + String(repeating: ".9223372036854775807", count: 15)))
    }

    func testExtendedKeyUsageNamesAndCustomOIDs() {
        XCTAssertEqual(ExtendedKeyUsage("clientAuth"), .clientAuth)
        XCTAssertEqual(ExtendedKeyUsage("OCSPSigning")?.oid, .ocspSigning)
        XCTAssertEqual(ExtendedKeyUsage("1.3.6.1.5.5.7.3.17")?.description, "1.3.6.1.5.5.7.3.17", "kept as written")
        XCTAssertEqual(ExtendedKeyUsage(oid: .ipsecIKE), .ipsecIKE)
        XCTAssertNil(ExtendedKeyUsage("1.٣"))
        XCTAssertNil(ExtendedKeyUsage("clientauth"))
    }

    func testGeneralNameKinds() {
        // SEQUENCE { [2] "a", [7] 4 bytes, [0] otherName {...} }
        let der = Data([0x30, 0x0d, 0x82, 0x01, 0x61, 0x87, 0x04, 192, 0, 2, 1, 0xa0, 0x02, 0x05, 0x00])
        XCTAssertEqual(GeneralNameKind.kinds(inGeneralNames: der), [.dNSName, .iPAddress, .otherName])
        XCTAssertNil(GeneralNameKind.kinds(inGeneralNames: Data([0x04, 0x00])), "not a SEQUENCE")
        XCTAssertNil(GeneralNameKind.kinds(inGeneralNames: der + Data([0])), "trailing data")
    }
}
