import ESTOpenSSL
import Foundation
import XCTest

/// A self-signed CA that may sign CRLs, the leaves it issues, and the `openssl` command
/// line tool as the independent reader of what this layer writes.
private struct CRLFixture {
    let key: PrivateKey
    let ca: Certificate

    init(_ type: KeyType, cn: String = "CRL Test CA", keyUsage: KeyUsage = [.keyCertSign, .cRLSign]) throws {
        key = try PrivateKey.generate(type)
        ca = try CertificateSigner.sign(CertificateTemplate(
            subject: try DistinguishedName(parsing: "CN=\(cn),O=Example"), publicKey: try key.publicKey,
            serial: try CertificateTemplate.randomSerial(), notBefore: Date() - 3600, notAfter: Date() + 86400 * 30,
            isCA: true, keyUsage: keyUsage), issuer: nil, issuerKey: key)
    }

    func leaf(cn: String, crlDistributionPoints: [String] = []) throws -> Certificate {
        try CertificateSigner.sign(CertificateTemplate(
            subject: try DistinguishedName(parsing: "CN=\(cn)"), publicKey: try PrivateKey.generate(.ecP256).publicKey,
            serial: try CertificateTemplate.randomSerial(), notBefore: Date() - 3600, notAfter: Date() + 86400,
            isCA: false, keyUsage: [.digitalSignature], extendedKeyUsage: [.clientAuth],
            crlDistributionPoints: crlDistributionPoints), issuer: ca, issuerKey: key)
    }

    func crl(number: Int64 = 1, _ entries: [RevokedEntry]) throws -> CertificateRevocationList {
        let now = Date()
        return try CRLSigner.sign(CRLTemplate(number: number, thisUpdate: now - 60, nextUpdate: now + 86400 * 7,
                                              entries: entries), issuer: ca, issuerKey: key)
    }
}

/// Runs `openssl` with `arguments` in `directory`; stdout and stderr together.
private func openssl(_ arguments: [String], in directory: URL) throws -> (status: Int32, output: String) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = ["openssl"] + arguments
    process.currentDirectoryURL = directory
    let pipe = Pipe()
    process.standardOutput = pipe
    process.standardError = pipe
    try process.run()
    let data = pipe.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return (process.terminationStatus, String(decoding: data, as: UTF8.self))
}

private func temporaryDirectory() throws -> URL {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("crltests-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    return dir
}

/// Certificate.serialHex (lowercase, no leading zeros) as the octets a RevokedEntry takes.
private func serial(of certificate: Certificate) throws -> Data {
    let hex = certificate.serialHex.count % 2 == 0 ? certificate.serialHex : "0" + certificate.serialHex
    return try XCTUnwrap(Data(hexString: hex))
}

final class CRLTests: XCTestCase {
    func testSignedCRLParsesBackForEveryCAKeyType() throws {
        for type in [KeyType.ecP256, .rsa2048, .ed25519] {
            let f = try CRLFixture(type)
            let other = try CRLFixture(type)  // same name, another key
            let thisUpdate = Date(timeIntervalSince1970: 1_780_000_000.75)
            let revokedAt = Date(timeIntervalSince1970: 1_779_990_000)
            let entries = [
                RevokedEntry(serial: Data([0x3a, 0x0f, 0x01]), revokedAt: revokedAt, reasonCode: 1),
                RevokedEntry(serial: Data([0x00, 0x05]), revokedAt: revokedAt + 1),  // leading zero, no reason
                RevokedEntry(serial: Data([0x7f, 0xff]), revokedAt: revokedAt + 2, reasonCode: 4),
            ]
            let crl = try CRLSigner.sign(CRLTemplate(number: 42, thisUpdate: thisUpdate, nextUpdate: thisUpdate + 86400,
                                                     entries: entries), issuer: f.ca, issuerKey: f.key)
            XCTAssertEqual(crl.number, 42, "\(type)")
            XCTAssertEqual(crl.thisUpdate, Date(timeIntervalSince1970: 1_780_000_000), "\(type): whole seconds")
            XCTAssertEqual(crl.nextUpdate, Date(timeIntervalSince1970: 1_780_086_400), "\(type)")
            XCTAssertEqual(crl.issuer, f.ca.subject, "\(type)")
            // Sorted by serial: 05 < 7fff < 3a0f01.
            XCTAssertEqual(crl.revokedSerials, [Data([0x05]), Data([0x7f, 0xff]), Data([0x3a, 0x0f, 0x01])], "\(type)")
            XCTAssertEqual(crl.entries.map(\.reasonCode), [nil, 4, 1], "\(type)")
            XCTAssertEqual(crl.entries.map(\.revokedAt), [revokedAt + 1, revokedAt + 2, revokedAt], "\(type)")
            XCTAssertTrue(crl.isSigned(by: f.ca), "\(type)")
            XCTAssertFalse(crl.isSigned(by: other.ca), "\(type): another key with the same name")

            let back = try CertificateRevocationList(der: crl.der)
            XCTAssertEqual(back.der, crl.der)
            XCTAssertEqual(back.entries, crl.entries)
            XCTAssertEqual(try CertificateRevocationList(pem: crl.pem).der, crl.der)
            XCTAssertTrue(crl.pem.hasPrefix("-----BEGIN X509 CRL-----\n"))
            XCTAssertThrowsError(try CertificateRevocationList(der: crl.der + Data([0])), "trailing bytes refused")
            XCTAssertThrowsError(try CertificateRevocationList(der: f.ca.der), "a certificate is not a CRL")
        }
    }

    func testEmptyCRLAndUnspecifiedReason() throws {
        let f = try CRLFixture(.ecP256)
        let empty = try f.crl([])
        XCTAssertEqual(empty.entries, [])
        XCTAssertEqual(empty.number, 1)
        XCTAssertTrue(empty.isSigned(by: f.ca))
        // RFC 5280 §5.3.1: unspecified (0) SHOULD be an absent reasonCode.
        let unspecified = try f.crl([RevokedEntry(serial: Data([9]), revokedAt: Date(), reasonCode: 0)])
        XCTAssertEqual(unspecified.entries.map(\.reasonCode), [nil])
        // UTCTime through 2049, GeneralizedTime from 2050 (RFC 5280 §5.1.2.4).
        let last = Date(timeIntervalSince1970: 2_524_607_999)  // 2049-12-31T23:59:59Z
        let across = try CRLSigner.sign(CRLTemplate(number: 2, thisUpdate: last, nextUpdate: last + 86400 * 365 * 30,
                                                    entries: [RevokedEntry(serial: Data([1]), revokedAt: last + 1)]),
                                        issuer: f.ca, issuerKey: f.key)
        XCTAssertEqual(across.thisUpdate, last)
        XCTAssertEqual(across.nextUpdate, last + 86400 * 365 * 30)
        XCTAssertEqual(across.entries.map(\.revokedAt), [last + 1])
        XCTAssertNotNil(across.der.range(of: Data([0x17, 13]) + Data("491231235959Z".utf8)), "UTCTime")
        XCTAssertNotNil(across.der.range(of: Data([0x18, 15]) + Data("20500101000000Z".utf8)), "GeneralizedTime")
    }

    func testTemplatesNoRelyingPartyCouldUseAreRefused() throws {
        let f = try CRLFixture(.ecP256)
        let now = Date()
        func sign(number: Int64 = 1, next: Date? = nil, _ entries: [RevokedEntry] = [],
                  issuer: Certificate? = nil, key: PrivateKey? = nil) throws {
            _ = try CRLSigner.sign(CRLTemplate(number: number, thisUpdate: now, nextUpdate: next ?? now + 3600, entries: entries),
                                   issuer: issuer ?? f.ca, issuerKey: key ?? f.key)
        }
        func entry(_ reason: Int?, serial: UInt8 = 1) -> RevokedEntry {
            RevokedEntry(serial: Data([serial]), revokedAt: now, reasonCode: reason)
        }
        XCTAssertNoThrow(try sign([entry(10)]))
        for reason in [7, 8, 11, -1] {
            XCTAssertThrowsError(try sign([entry(reason)]), "reasonCode \(reason)") { XCTAssertTrue($0 is CRLError) }
        }
        XCTAssertThrowsError(try sign(number: 0)) { XCTAssertTrue($0 is CRLError) }
        XCTAssertThrowsError(try sign(number: -5)) { XCTAssertTrue($0 is CRLError) }
        XCTAssertThrowsError(try sign(next: now)) { XCTAssertTrue($0 is CRLError) }
        XCTAssertThrowsError(try sign(next: now - 1)) { XCTAssertTrue($0 is CRLError) }
        XCTAssertThrowsError(try sign([entry(nil, serial: 0)]), "serial zero") { XCTAssertTrue($0 is CRLError) }
        XCTAssertThrowsError(try sign([entry(nil, serial: 3), RevokedEntry(serial: Data([0, 3]), revokedAt: now)]),
                             "the same serial twice") { XCTAssertTrue($0 is CRLError) }
        XCTAssertThrowsError(try sign(key: try PrivateKey.generate(.ecP256)), "key not the issuer's") {
            XCTAssertTrue($0 is CRLError)
        }
        let noCRLSign = try CRLFixture(.ecP256, keyUsage: [.keyCertSign])
        XCTAssertThrowsError(try sign(issuer: noCRLSign.ca, key: noCRLSign.key), "issuer without cRLSign") {
            XCTAssertTrue($0 is CRLError)
        }
    }

    func testOpenSSLReadsTheCRL() throws {
        for type in [KeyType.ecP256, .rsa2048, .ed25519] {
            let f = try CRLFixture(type)
            let crl = try f.crl(number: 1234, [
                RevokedEntry(serial: Data([0x3a, 0x0f]), revokedAt: Date() - 100, reasonCode: 1),
                RevokedEntry(serial: Data([0x12, 0x34]), revokedAt: Date() - 50),
            ])
            let dir = try temporaryDirectory()
            defer { try? FileManager.default.removeItem(at: dir) }
            try crl.der.write(to: dir.appendingPathComponent("crl.der"))
            try f.ca.pem.write(to: dir.appendingPathComponent("ca.pem"), atomically: true, encoding: .utf8)

            let text = try openssl(["crl", "-inform", "DER", "-in", "crl.der", "-noout", "-text"], in: dir)
            XCTAssertEqual(text.status, 0, text.output)
            XCTAssertTrue(text.output.contains("Version 2 (0x1)"), text.output)
            XCTAssertNotNil(text.output.range(of: #"X509v3 CRL Number:\s*\n\s*1234\n"#, options: .regularExpression), text.output)
            XCTAssertNotNil(text.output.range(of: #"Serial Number: 3A0F\s*\n\s*Revocation Date: [^\n]*\n\s*CRL entry extensions:\s*\n\s*X509v3 CRL Reason Code:\s*\n\s*Key Compromise"#,
                                              options: .regularExpression), text.output)
            XCTAssertNotNil(text.output.range(of: #"Serial Number: 1234\s*\n\s*Revocation Date: [^\n]*\n\s*Serial Number: 3A0F"#,
                                              options: .regularExpression), "sorted, 1234 without extensions: \(text.output)")
            XCTAssertEqual(text.output.components(separatedBy: "Key Compromise").count, 2, "one reasonCode only")
            let ski = try XCTUnwrap(f.ca.subjectKeyIdentifier).map { String(format: "%02X", $0) }.joined(separator: ":")
            XCTAssertTrue(text.output.contains("X509v3 Authority Key Identifier"), text.output)
            XCTAssertTrue(text.output.contains(ski), "AKI keyid = the CA's SKI \(ski): \(text.output)")
            XCTAssertTrue(text.output.contains("Issuer: O = Example, CN = CRL Test CA"), text.output)

            let verified = try openssl(["crl", "-inform", "DER", "-in", "crl.der", "-noout", "-verify", "-CAfile", "ca.pem"], in: dir)
            XCTAssertEqual(verified.status, 0, verified.output)
            XCTAssertTrue(verified.output.contains("verify OK"), "\(type): \(verified.output)")

            let other = try CRLFixture(type)
            try other.ca.pem.write(to: dir.appendingPathComponent("other.pem"), atomically: true, encoding: .utf8)
            let refused = try openssl(["crl", "-inform", "DER", "-in", "crl.der", "-noout", "-verify", "-CAfile", "other.pem"], in: dir)
            // OpenSSL 3.0 exits 0 here too: only the text tells.
            XCTAssertFalse(refused.output.contains("verify OK"), "\(type): \(refused.output)")
            XCTAssertTrue(refused.output.contains("verify failure"), "\(type): \(refused.output)")
        }
    }

    func testOpenSSLVerifyFindsTheRevokedLeaf() throws {
        for type in [KeyType.ecP256, .rsa2048, .ed25519] {
            let f = try CRLFixture(type)
            let revoked = try f.leaf(cn: "revoked")
            let good = try f.leaf(cn: "good")
            let crl = try f.crl([RevokedEntry(serial: try serial(of: revoked), revokedAt: Date() - 10, reasonCode: 1)])
            XCTAssertEqual(crl.revokedSerials.map(\.hexString), [revoked.serialHex.count % 2 == 0 ? revoked.serialHex : "0" + revoked.serialHex])

            let dir = try temporaryDirectory()
            defer { try? FileManager.default.removeItem(at: dir) }
            try crl.pem.write(to: dir.appendingPathComponent("crl.pem"), atomically: true, encoding: .utf8)
            try f.ca.pem.write(to: dir.appendingPathComponent("ca.pem"), atomically: true, encoding: .utf8)
            try revoked.pem.write(to: dir.appendingPathComponent("revoked.pem"), atomically: true, encoding: .utf8)
            try good.pem.write(to: dir.appendingPathComponent("good.pem"), atomically: true, encoding: .utf8)

            let bad = try openssl(["verify", "-crl_check", "-CRLfile", "crl.pem", "-CAfile", "ca.pem", "revoked.pem"], in: dir)
            XCTAssertNotEqual(bad.status, 0, bad.output)
            XCTAssertTrue(bad.output.contains("certificate revoked"), "\(type): \(bad.output)")
            let ok = try openssl(["verify", "-crl_check", "-CRLfile", "crl.pem", "-CAfile", "ca.pem", "good.pem"], in: dir)
            XCTAssertEqual(ok.status, 0, ok.output)
            XCTAssertTrue(ok.output.contains("good.pem: OK"), "\(type): \(ok.output)")
        }
    }

    func testIssuerWithoutSubjectKeyIdentifierGetsTheComputedOne() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let made = try openssl(["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                                "-keyout", "key.pem", "-out", "ca.pem", "-subj", "/CN=No SKI CA", "-days", "2",
                                "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign",
                                "-addext", "subjectKeyIdentifier=none", "-addext", "authorityKeyIdentifier=none"], in: dir)
        XCTAssertEqual(made.status, 0, made.output)
        let key = try PrivateKey(pem: String(contentsOf: dir.appendingPathComponent("key.pem"), encoding: .utf8))
        let ca = try Certificate(pem: String(contentsOf: dir.appendingPathComponent("ca.pem"), encoding: .utf8))
        XCTAssertNil(ca.subjectKeyIdentifier)

        let crl = try CRLSigner.sign(CRLTemplate(number: 7, thisUpdate: Date() - 60, nextUpdate: Date() + 3600,
                                                 entries: [RevokedEntry(serial: Data([1]), revokedAt: Date() - 60)]),
                                     issuer: ca, issuerKey: key)
        XCTAssertTrue(crl.isSigned(by: ca))
        try crl.der.write(to: dir.appendingPathComponent("crl.der"))
        let text = try openssl(["crl", "-inform", "DER", "-in", "crl.der", "-noout", "-text", "-verify", "-CAfile", "ca.pem"], in: dir)
        XCTAssertTrue(text.output.contains("verify OK"), text.output)
        // RFC 5280 §4.2.1.2 method 1, as CertificateSigner writes a subjectKeyIdentifier.
        let keyID = try key.publicKey.keyIdentifier.map { String(format: "%02X", $0) }.joined(separator: ":")
        XCTAssertNotNil(text.output.range(of: "X509v3 Authority Key Identifier: *\n\\s*(keyid:)?\(keyID)\n",
                                          options: .regularExpression), text.output)
    }

    func testParsesACRLMadeByOpenSSLCA() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let made = try openssl(["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                                "-keyout", "key.pem", "-out", "ca.pem", "-subj", "/CN=OpenSSL CA", "-days", "2"], in: dir)
        XCTAssertEqual(made.status, 0, made.output)
        try """
            [ca]
            default_ca = x
            [x]
            database = index.txt
            crlnumber = crlnumber
            default_md = sha256
            default_crl_days = 1
            crl_extensions = crlext
            [crlext]
            authorityKeyIdentifier = keyid:always

            """.write(to: dir.appendingPathComponent("ca.cnf"), atomically: true, encoding: .utf8)
        try "R\t301231000000Z\t250102030405Z,keyCompromise\t3A0F\tunknown\t/CN=a\n"
            .appending("R\t301231000000Z\t250102030406Z\t0102\tunknown\t/CN=b\n")
            .appending("V\t301231000000Z\t\t0103\tunknown\t/CN=c\n")
            .write(to: dir.appendingPathComponent("index.txt"), atomically: true, encoding: .utf8)
        try "1F\n".write(to: dir.appendingPathComponent("crlnumber"), atomically: true, encoding: .utf8)
        let generated = try openssl(["ca", "-config", "ca.cnf", "-gencrl", "-keyfile", "key.pem", "-cert", "ca.pem",
                                     "-out", "crl.pem"], in: dir)
        XCTAssertEqual(generated.status, 0, generated.output)

        let ca = try Certificate(pem: String(contentsOf: dir.appendingPathComponent("ca.pem"), encoding: .utf8))
        let crl = try CertificateRevocationList(pem: String(contentsOf: dir.appendingPathComponent("crl.pem"), encoding: .utf8))
        XCTAssertEqual(crl.number, 0x1f)
        XCTAssertEqual(crl.issuer, ca.subject)
        XCTAssertEqual(crl.entries, [
            RevokedEntry(serial: Data([0x01, 0x02]), revokedAt: Date(timeIntervalSince1970: 1_735_787_046)),
            RevokedEntry(serial: Data([0x3a, 0x0f]), revokedAt: Date(timeIntervalSince1970: 1_735_787_045), reasonCode: 1),
        ])
        XCTAssertEqual(try XCTUnwrap(crl.nextUpdate).timeIntervalSince(crl.thisUpdate), 86400)
        XCTAssertTrue(crl.isSigned(by: ca))
        XCTAssertFalse(crl.isSigned(by: try CRLFixture(.ecP256, cn: "OpenSSL CA").ca))
    }

    func testCertificateCarriesCRLDistributionPoints() throws {
        let f = try CRLFixture(.ecP256)
        // A comma would start another value in OpenSSL's config syntax.
        let uris = ["http://crl.example/ca.crl", "ldap://ldap.example/cn=CA,o=Example?certificateRevocationList"]
        let leaf = try f.leaf(cn: "with cdp", crlDistributionPoints: uris)
        let plain = try f.leaf(cn: "without cdp")

        // SEQUENCE { SEQUENCE { [0] { [0] { [6] uri, [6] uri } } } }, inside extnValue.
        let names = uris.map { Data([0x86, UInt8($0.utf8.count)]) + Data($0.utf8) }.reduce(Data(), +)
        let dp = Data([0xa0, UInt8(names.count)]) + names
        let point = Data([0xa0, UInt8(dp.count)]) + dp
        let seq = Data([0x30, UInt8(point.count)]) + point
        let value = Data([0x30, UInt8(seq.count)]) + seq
        XCTAssertNotNil(leaf.der.range(of: value), "the extension value, byte for byte")
        XCTAssertNil(plain.der.range(of: Data([0x06, 0x03, 0x55, 0x1d, 0x1f])), "no cRLDistributionPoints OID when none asked")

        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        try leaf.pem.write(to: dir.appendingPathComponent("leaf.pem"), atomically: true, encoding: .utf8)
        let text = try openssl(["x509", "-in", "leaf.pem", "-noout", "-text"], in: dir)
        XCTAssertEqual(text.status, 0, text.output)
        XCTAssertNotNil(text.output.range(of: #"X509v3 CRL Distribution Points: *\n\s*Full Name:\s*\n\s*URI:http://crl\.example/ca\.crl\s*\n\s*URI:ldap://ldap\.example/cn=CA,o=Example\?certificateRevocationList\n"#,
                                          options: .regularExpression), text.output)
        XCTAssertFalse(text.output.contains("X509v3 CRL Distribution Points: critical"), text.output)

        XCTAssertThrowsError(try f.leaf(cn: "bad", crlDistributionPoints: ["http://ok.example/", "file:///etc/passwd"])) {
            XCTAssertTrue($0 is CRLError, "\($0)")
        }
    }

    func testDistributionPointURIValidation() throws {
        for good in ["http://crl.example/ca.crl", "https://a", "ldap:///cn=CA?certificateRevocationList",
                     "http://a.example:8080/x?y=1,2", "http://" + String(repeating: "a", count: 2048 - 7)] {
            XCTAssertNoThrow(try DistributionPointURI.validate(good), good)
        }
        let bad = ["http://a b", "file:///x", "", "http://a\u{01}b", "http://a\u{7f}", "http://é.example", "http://",
                   "https://", "ldap://", "http:///path", "HTTP://a", "crl.example/ca.crl", "http://a\n",
                   "http://" + String(repeating: "a", count: 2048 - 6)]
        for uri in bad {
            XCTAssertThrowsError(try DistributionPointURI.validate(uri), uri.debugDescription) { error in
                let text = String(describing: error)
                XCTAssertFalse(text.isEmpty || text.contains("\n"), "one line: \(text)")
            }
        }
    }

    func testHexStrings() {
        XCTAssertEqual(Data(hexString: "3A0f"), Data([0x3a, 0x0f]))
        XCTAssertEqual(Data(hexString: "00ff7E"), Data([0x00, 0xff, 0x7e]))
        XCTAssertEqual(Data(hexString: ""), Data())
        XCTAssertNil(Data(hexString: "abc"), "odd length")
        XCTAssertNil(Data(hexString: "zz"))
        XCTAssertNil(Data(hexString: "0x12"))
        XCTAssertNil(Data(hexString: "12 34"))
        XCTAssertNil(Data(hexString: "１２"), "non-ASCII digits")
        let bytes = Data((0...255).map(UInt8.init))
        XCTAssertEqual(Data(hexString: bytes.hexString), bytes)
        XCTAssertEqual(Data(hexString: bytes.hexString.uppercased()), bytes)
    }
}
