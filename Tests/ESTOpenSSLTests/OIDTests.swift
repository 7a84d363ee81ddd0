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
