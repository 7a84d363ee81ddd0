import ESTOpenSSL
import Foundation
import Synchronization
import XCTest

/// Names compared as RFC 5280 §7.1 compares them (for RFC 7030 §4.2.2 re-enrollment).
final class NameEquivalenceTests: XCTestCase {
    static let utf8: UInt8 = 0x0c, printable: UInt8 = 0x13, ia5: UInt8 = 0x16
    static let cn = OID("2.5.4.3")!, o = OID("2.5.4.10")!, ou = OID("2.5.4.11")!
    static let email = OID("1.2.840.113549.1.9.1")!

    /// A Name from RDNs, each a list of (type, string tag, value), encoded as given.
    static func name(_ rdns: [[(OID, UInt8, String)]]) throws -> DistinguishedName {
        try DistinguishedName(der: DER.sequence(rdns.map { rdn in
            DER.set(DER.sortedForSet(rdn.map { DER.sequence([$0.0.der, DER.tlv($0.1, Data($0.2.utf8))]) }, by: { $0 }))
        }))
    }

    func testTheSameNameInOtherStringTypesCaseOrSpacingIsEquivalent() throws {
        let go = try Self.name([[(Self.cn, Self.printable, "dev-1")], [(Self.o, Self.printable, "Example Devices")]])
        let openssl = try Self.name([[(Self.cn, Self.utf8, "dev-1")], [(Self.o, Self.utf8, "Example Devices")]])
        XCTAssertNotEqual(go.der, openssl.der, "different bytes")
        XCTAssertTrue(go.isEquivalent(to: openssl))
        XCTAssertTrue(openssl.isEquivalent(to: go))
        let shouted = try Self.name([[(Self.cn, Self.utf8, "DEV-1")], [(Self.o, Self.printable, "EXAMPLE devices")]])
        XCTAssertTrue(shouted.isEquivalent(to: openssl), "ASCII case is folded")
        let spaced = try Self.name([[(Self.cn, Self.utf8, "  dev-1 ")], [(Self.o, Self.utf8, "Example    Devices")]])
        XCTAssertTrue(spaced.isEquivalent(to: go), "leading, trailing and repeated spaces are insignificant")
        let mail = try Self.name([[(Self.email, Self.ia5, "Dev@Example.com")]])
        XCTAssertTrue(mail.isEquivalent(to: try Self.name([[(Self.email, Self.utf8, "dev@example.com")]])))
        let multi = try Self.name([[(Self.cn, Self.printable, "a"), (Self.o, Self.utf8, "b")]])
        XCTAssertTrue(multi.isEquivalent(to: try Self.name([[(Self.cn, Self.utf8, "a"), (Self.o, Self.printable, "b")]])))
        XCTAssertTrue(try DistinguishedName(der: DER.sequence([])).isEquivalent(to: try DistinguishedName(der: DER.sequence([]))))
    }

    /// OpenSSL folds only ASCII case; RFC 4518 folds all of it and normalises to NFKC.
    func testNonASCIICaseAndNormalisationAreFolded() throws {
        let lower = try Self.name([[(Self.cn, Self.utf8, "müller")], [(Self.o, Self.utf8, "Größe GmbH")]])
        let upper = try Self.name([[(Self.cn, Self.utf8, "MÜLLER")], [(Self.o, Self.utf8, "GRÖSSE  gmbh ")]])
        XCTAssertTrue(lower.isEquivalent(to: upper))
        let decomposed = try Self.name([[(Self.cn, Self.utf8, "mu\u{308}ller")], [(Self.o, Self.utf8, "Größe GmbH")]])
        XCTAssertTrue(decomposed.isEquivalent(to: lower), "NFKC: u + combining diaeresis is ü")
        XCTAssertFalse(lower.isEquivalent(to: try Self.name([[(Self.cn, Self.utf8, "muller")], [(Self.o, Self.utf8, "Größe GmbH")]])))
        XCTAssertFalse(lower.isEquivalent(to: try Self.name([[(Self.o, Self.utf8, "Größe GmbH")], [(Self.cn, Self.utf8, "müller")]])),
                       "RDN order still counts")
        XCTAssertFalse(lower.isEquivalent(to: try Self.name([[(Self.cn, Self.utf8, "müller"), (Self.o, Self.utf8, "Größe GmbH")]])),
                       "RDN structure still counts")
    }

    func testOtherValuesOrderOrStructureAreNotEquivalent() throws {
        let base = try Self.name([[(Self.cn, Self.utf8, "dev-1")], [(Self.o, Self.utf8, "Example")]])
        let differing: [(String, DistinguishedName)] = [
            ("another value", try Self.name([[(Self.cn, Self.utf8, "dev-2")], [(Self.o, Self.utf8, "Example")]])),
            ("a space inside a value", try Self.name([[(Self.cn, Self.utf8, "dev -1")], [(Self.o, Self.utf8, "Example")]])),
            ("RDNs in another order", try Self.name([[(Self.o, Self.utf8, "Example")], [(Self.cn, Self.utf8, "dev-1")]])),
            ("an extra RDN", try Self.name([[(Self.cn, Self.utf8, "dev-1")], [(Self.o, Self.utf8, "Example")],
                                           [(Self.ou, Self.utf8, "x")]])),
            ("one RDN fewer", try Self.name([[(Self.cn, Self.utf8, "dev-1")]])),
            ("one multi-valued RDN instead of two", try Self.name([[(Self.cn, Self.utf8, "dev-1"), (Self.o, Self.utf8, "Example")]])),
            ("another attribute type", try Self.name([[(Self.cn, Self.utf8, "dev-1")], [(Self.ou, Self.utf8, "Example")]])),
            ("the empty name", try DistinguishedName(der: DER.sequence([]))),
        ]
        for (why, other) in differing {
            XCTAssertFalse(base.isEquivalent(to: other), why)
            XCTAssertFalse(other.isEquivalent(to: base), why)
        }
    }

    /// The search among CA certificates (each CSR's subject against every CA's) finds the
    /// first certificate whose subject `isEquivalent(to:)` says is equivalent, also with
    /// many threads searching the same certificates at once.
    func testSearchAmongCertificatesAgreesWithIsEquivalent() throws {
        let names: [DistinguishedName] = [
            try Self.name([[(Self.cn, Self.printable, "dev-1")], [(Self.o, Self.printable, "Example Devices")]]),
            try Self.name([[(Self.cn, Self.utf8, "DEV-1")], [(Self.o, Self.utf8, "example   devices ")]]),
            try Self.name([[(Self.cn, Self.utf8, "dev-2")], [(Self.o, Self.utf8, "Example Devices")]]),
            try Self.name([[(Self.cn, Self.utf8, "müller")], [(Self.o, Self.utf8, "Größe GmbH")]]),
            try Self.name([[(Self.cn, Self.utf8, "MU\u{308}LLER")], [(Self.o, Self.utf8, "GRÖSSE  gmbh ")]]),
            try Self.name([[(Self.cn, Self.utf8, "dev-1"), (Self.o, Self.utf8, "Example Devices")]]),
            try Self.name([[(Self.email, Self.ia5, "Dev@Example.com")]]),
            try DistinguishedName(der: DER.sequence([])),
        ]
        let key = try PrivateKey.generate(.ecP256)
        // Read back from DER, as the store's CA certificates are.
        let certificates = try names.map { n in
            try Certificate(der: CertificateSigner.sign(CertificateTemplate(
                subject: n, publicKey: try key.publicKey, serial: try CertificateTemplate.randomSerial(), notBefore: Date() - 60,
                notAfter: Date() + 3600, isCA: true, keyUsage: [.keyCertSign]), issuer: nil, issuerKey: key).der)
        }
        let probes = names + [try Self.name([[(Self.cn, Self.utf8, "Müller")], [(Self.o, Self.utf8, "größe gmbh")]]),
                              try Self.name([[(Self.email, Self.utf8, "dev@example.com")]])]
        var expected: [Int?] = []
        for probe in probes {
            for start in certificates.indices {
                let list = Array(certificates[start...] + certificates[..<start])
                let want = list.firstIndex { $0.subject.isEquivalent(to: probe) }
                XCTAssertEqual(probe.firstEquivalentSubject(in: list), want, "\(probe) from \(start)")
                expected.append(want)
            }
        }
        XCTAssertEqual(probes[1].firstEquivalentSubject(in: certificates), 0, "case and spacing folded")
        XCTAssertEqual(probes[4].firstEquivalentSubject(in: certificates), 3, "beyond ASCII: RFC 4518")
        XCTAssertNil(try Self.name([[(Self.cn, Self.utf8, "nobody")]]).firstEquivalentSubject(in: certificates))
        let shared = certificates, want = expected
        let wrong = Mutex(0)
        DispatchQueue.concurrentPerform(iterations: 8) { _ in
            for (i, probe) in probes.enumerated() where probe.firstEquivalentSubject(in: shared) != want[i * shared.count] {
                wrong.withLock { $0 += 1 }
            }
        }
        XCTAssertEqual(wrong.withLock { $0 }, 0)
    }

    func testSubjectAltNamesCompareAsNames() throws {
        func san(_ names: String) throws -> Data? {
            try CSRBuilder.make(subject: try DistinguishedName(parsing: "CN=x"), key: try PrivateKey.generate(.ecP256),
                                extensions: [("subjectAltName", names)]).subjectAltNameDER
        }
        let a = try san("DNS:dev.example,email:Dev.One@Example.com,IP:192.0.2.1")
        XCTAssertTrue(GeneralName.equivalentSubjectAltNames(a, try san("DNS:DEV.Example,email:Dev.One@EXAMPLE.COM,IP:192.0.2.1")))
        XCTAssertFalse(GeneralName.equivalentSubjectAltNames(a, try san("DNS:dev.example,email:dev.one@Example.com,IP:192.0.2.1")),
                       "the local part of a mailbox is case-sensitive (RFC 5280 §7.5)")
        XCTAssertFalse(GeneralName.equivalentSubjectAltNames(a, try san("IP:192.0.2.1,DNS:dev.example,email:Dev.One@Example.com")),
                       "order")
        XCTAssertFalse(GeneralName.equivalentSubjectAltNames(a, try san("DNS:dev.example,email:Dev.One@Example.com")), "one fewer")
        XCTAssertFalse(GeneralName.equivalentSubjectAltNames(a, try san("DNS:dev2.example,email:Dev.One@Example.com,IP:192.0.2.1")))
        XCTAssertFalse(GeneralName.equivalentSubjectAltNames(a, nil))
        XCTAssertTrue(GeneralName.equivalentSubjectAltNames(nil, nil))
        XCTAssertFalse(GeneralName.equivalentSubjectAltNames(Data([0x30, 0x00]), a), "unparsable")
        let printable = try Self.name([[(Self.cn, Self.printable, "Dir")]]), utf8 = try Self.name([[(Self.cn, Self.utf8, "dir")]])
        XCTAssertTrue(GeneralName.equivalentSubjectAltNames(DER.sequence([GeneralName.directoryName(printable).der]),
                                                             DER.sequence([GeneralName.directoryName(utf8).der])))
    }
}
