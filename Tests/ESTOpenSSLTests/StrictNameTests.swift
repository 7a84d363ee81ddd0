import ESTOpenSSL
import Foundation
import XCTest

/// What is signed is read strictly (RFC 5280 §4.1.2.4, §4.2.1.6): one named case per fault.
final class StrictNameTests: XCTestCase {
    func der(_ hex: String) -> Data { Data(stride(from: 0, to: hex.count, by: 2).map {
        UInt8(hex[hex.index(hex.startIndex, offsetBy: $0)..<hex.index(hex.startIndex, offsetBy: $0 + 2)], radix: 16)!
    }) }

    func testGeneralNames() throws {
        let good: [(name: String, hex: String, kinds: [GeneralNameKind])] = [
            ("a DNS name", "300b8209612e6578616d706c65", [.dNSName]),
            ("an IPv4 address", "30068704c000020a", [.iPAddress]),
            ("an IPv6 address", "3012871020010db8000000000000000000000010", [.iPAddress]),
            ("a URI", "300d860b75726e3a757569643a3132", [.uniformResourceIdentifier]),
        ]
        for c in good {
            let (names, encoded) = try GeneralName.parseAll(der(c.hex))
            XCTAssertEqual(names.map(\.kind), c.kinds, c.name)
            XCTAssertEqual(encoded, der(c.hex), "\(c.name): re-encoded to the same DER")
        }
        let bad: [(name: String, hex: String)] = [
            ("not a SEQUENCE", "0403616263"),
            ("trailing bytes after the SEQUENCE", "30068704c000020a00"),
            ("an empty SEQUENCE", "3000"),
            ("an iPAddress of 5 octets", "30078705c000020a01"),
            ("a control character in a dNSName", "3005820361 0a62".replacingOccurrences(of: " ", with: "")),
            ("a space in a dNSName", "3005820361 2062".replacingOccurrences(of: " ", with: "")),
            ("a non-ASCII dNSName", "30058203c3a961"),
            ("a non-minimal length", "3081068704c000020a"),
            ("an x400Address", "3002a300"),
            ("a length past the end", "30058209612e"),
        ]
        for c in bad { XCTAssertThrowsError(try GeneralName.parseAll(der(c.hex)), c.name) }
    }

    /// An otherName's value goes into the certificate as received, so it must be DER all
    /// through and something OpenSSL reads back (its text is taken when the certificate is built).
    func testOtherNameValues() throws {
        func san(_ typeHex: String, _ valueHex: String) -> Data {
            DER.sequence([DER.tlv(0xa0, der(typeHex) + DER.tlv(0xa0, der(valueHex)))])
        }
        let upn = "060a2b060104018237140203", privateType = "06092b06010401868d1f01"
        XCTAssertNoThrow(try GeneralName.parseAll(san(upn, "0c0561646d696e")), "a UPN")
        XCTAssertNoThrow(try GeneralName.parseAll(san(privateType, "3006020101010100")), "a SEQUENCE in DER")
        let bad: [(name: String, type: String, value: String)] = [
            ("a long-form length", upn, "0c810561646d696e"),
            ("a long-form length inside a SEQUENCE", privateType, "300402810105"),
            ("a BOOLEAN 01", privateType, "010101"),
            ("an INTEGER with a redundant 00", privateType, "0202000a"),
            ("a NULL with content", privateType, "050100"),
            ("the high-tag-number form", privateType, "9f0105"),
            ("a BIT STRING with 8 unused bits", privateType, "030208ff"),
            ("an odd-length BMPString", privateType, "1e03006100"),
            ("a UPN that is no UTF8String", upn, "3006020101010100"),
        ]
        for c in bad { XCTAssertThrowsError(try GeneralName.parseAll(san(c.type, c.value)), c.name) }
    }

    func testNames() throws {
        XCTAssertNoThrow(try DistinguishedName(parsing: "CN=Device 1,O=Example\\, Inc.,C=DE").checkStrict())
        // Built with the bytes as given (DistinguishedName(der:) only needs valid DER).
        func name(tag: UInt8, _ value: [UInt8]) throws -> DistinguishedName {
            let atv = DER.sequence([OID.commonName.der, DER.tlv(tag, Data(value))])
            return try DistinguishedName(der: DER.sequence([DER.set([atv])]))
        }
        let bad: [(name: String, tag: UInt8, value: [UInt8])] = [
            ("a NUL in a UTF8String", 0x0c, Array("a\u{0}b".utf8)),
            ("a newline in a UTF8String", 0x0c, Array("a\nb".utf8)),
            ("a C1 control in a UTF8String", 0x0c, Array("a\u{85}b".utf8)),
            ("invalid UTF-8", 0x0c, [0x61, 0xff]),
            ("'@' in a PrintableString", 0x13, Array("a@b".utf8)),
            ("a BMPString", 0x1e, [0, 0x61]),
            ("a TeletexString", 0x14, Array("ab".utf8)),
            ("an empty value", 0x0c, []),
        ]
        for c in bad { XCTAssertThrowsError(try name(tag: c.tag, c.value).checkStrict(), c.name) }
        // A length not in its minimal form, at each level of the Name: 0x81 0x03 where 0x03
        // fits, and 0x82 0x00 0x03 (a leading zero octet).
        let value = Data([0x0c, 0x03]) + Data("dev".utf8)
        func long(_ tag: UInt8, _ content: Data, zero: Bool = false) -> Data {
            Data(zero ? [tag, 0x82, 0x00, UInt8(content.count)] : [tag, 0x81, UInt8(content.count)]) + content
        }
        let stretched: [(String, Data)] = [
            ("the value", DER.sequence([DER.set([DER.sequence([OID.commonName.der, long(0x0c, Data("dev".utf8))])])])),
            ("the attribute", DER.sequence([DER.set([long(0x30, OID.commonName.der + value)])])),
            ("the relative name", DER.sequence([long(0x31, DER.sequence([OID.commonName.der, value]))])),
            ("the Name", long(0x30, DER.set([DER.sequence([OID.commonName.der, value])]), zero: true)),
            ("the type", DER.sequence([DER.set([DER.sequence([long(0x06, OID.commonName.der.dropFirst(2)), value])])])),
        ]
        for (level, der) in stretched {
            XCTAssertThrowsError(try DistinguishedName(der: der).checkStrict(), level) {
                XCTAssertTrue("\($0)".contains("not DER"), "\(level): \($0)")
            }
        }
        XCTAssertNoThrow(try DistinguishedName(der: DER.sequence([DER.set([DER.sequence([OID.commonName.der, value])])])).checkStrict())
        XCTAssertNoThrow(try name(tag: 0x13, Array("Device (1) +-./:=?".utf8)).checkStrict())
        XCTAssertNoThrow(try name(tag: 0x16, Array("dev@example.com".utf8)).checkStrict())
        XCTAssertNoThrow(try name(tag: 0x0c, Array("Müller GmbH".utf8)).checkStrict())
    }
}
