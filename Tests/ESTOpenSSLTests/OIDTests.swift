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
    /// Arcs past 64 bits are read (to be named in a refusal), flagged, and kept as received.
    func testArcsPast64BitsAreReadAndFlagged() throws {
        let twoTo64: [UInt8] = [0x82, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00]
        let type65 = try XCTUnwrap(OID(derContentAnyArcs: Data([0x55, 0x04] + twoTo64)))
        XCTAssertEqual(type65.dotted, "2.5.4.18446744073709551616")
        XCTAssertFalse(type65.arcsFit64Bits)
        XCTAssertEqual(type65.der, Data([0x06, 12, 0x55, 0x04] + twoTo64))
        // 2^128 after 1.3.6.1.4.1 (19 groups of 7 bits: 0x84, then 18 x 0x80 but the last 0x00).
        let twoTo128: [UInt8] = [0x84] + [UInt8](repeating: 0x80, count: 17) + [0x00]
        XCTAssertEqual(OID(derContentAnyArcs: Data([0x2b, 0x06, 0x01, 0x04, 0x01] + twoTo128))?.dotted,
                       "1.3.6.1.4.1.340282366920938463463374607431768211456")
        // X.690 §8.19.4: a first subidentifier of 2^64 + 80 is 2.(2^64).
        let first: [UInt8] = [0x82, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x50]
        XCTAssertEqual(OID(derContentAnyArcs: Data(first + [0x03]))?.dotted, "2.18446744073709551616.3")
        // Within 64 bits it is init?(derContent:) exactly.
        let known = OID.subjectAltName
        XCTAssertEqual(OID(derContentAnyArcs: known.der.dropFirst(2)), known)
        XCTAssertTrue(known.arcsFit64Bits)
        XCTAssertNil(OID(derContentAnyArcs: Data([0x55, 0x80] + twoTo64)), "non-minimal arc")
        XCTAssertNil(OID(derContentAnyArcs: Data([0x55, 0x82, 0x80])), "unterminated arc")
        XCTAssertNil(OID(derContentAnyArcs: Data()), "no arc")
        XCTAssertNil(OID(derContentAnyArcs: Data([0x55] + [UInt8](repeating: 0xff, count: 300) + [0x7f])), "over 256 characters")
    }

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
