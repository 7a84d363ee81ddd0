@testable import ESTCA
import ESTCore
import ESTOpenSSL
import Foundation
import XCTest

final class HardeningPolicyTests: XCTestCase {
    func testKeyGenerationIsBoundedPerClientAndInAll() throws {
        let gate = KeyGenerationGate(limit: 1, wait: 0.05)
        let inside = DispatchSemaphore(value: 0), release = DispatchSemaphore(value: 0)
        DispatchQueue.global().async {
            _ = try? gate.run(for: "client-a") { inside.signal(); release.wait() }
        }
        inside.wait()
        XCTAssertThrowsError(try gate.run(for: "client-a") {}) {
            XCTAssertEqual(($0 as? CAError)?.httpStatus, 429, "the same client twice at once")
        }
        XCTAssertThrowsError(try gate.run(for: "client-b") {}) {
            XCTAssertEqual(($0 as? CAError)?.httpStatus, 503, "every slot busy")
        }
        release.signal()
        Thread.sleep(forTimeInterval: 0.05)
        XCTAssertNoThrow(try gate.run(for: "client-b") {}, "a slot is free again")
        XCTAssertNoThrow(try gate.run(for: "client-a") {}, "and the client too")
    }

    func testIdentityPolicyDefaultsAndLimits() throws {
        let key = try PrivateKey.generate(.ecP256)
        func csr(_ subject: String, _ san: String? = nil) throws -> CertificateSigningRequest {
            try CSRBuilder.make(subject: try DistinguishedName(parsing: subject), key: key,
                                extensions: san.map { [("subjectAltName", $0)] } ?? [])
        }
        func names(_ c: CertificateSigningRequest) throws -> [GeneralName] {
            try c.subjectAltNameDER.map { try GeneralName.parseAll($0).names } ?? []
        }
        var policy = IdentityPolicy()
        let upn = try csr("CN=Administrator", "otherName:1.3.6.1.4.1.311.20.2.3;UTF8:admin@corp.local")
        XCTAssertThrowsError(try policy.check(subject: upn.subject, subjectAltName: names(upn)), "otherName off by default")
        policy.sanKinds.append(.otherName)
        XCTAssertNoThrow(try policy.check(subject: upn.subject, subjectAltName: names(upn)))

        policy.cnPattern = "dev-[0-9]+"
        let wrongCN = try csr("CN=dev-12x")
        XCTAssertThrowsError(try policy.check(subject: wrongCN.subject, subjectAltName: []), "the whole CN must match")
        XCTAssertNoThrow(try policy.check(subject: try csr("CN=dev-12").subject, subjectAltName: []))
        policy.dnsPattern = "[a-z0-9-]+\\.example"
        let evil = try csr("CN=dev-1", "DNS:ok.example,DNS:evil.example.attacker")
        XCTAssertThrowsError(try policy.check(subject: evil.subject, subjectAltName: names(evil)))
        policy.maxSANs = 1
        let two = try csr("CN=dev-1", "DNS:a.example,DNS:b.example")
        XCTAssertThrowsError(try policy.check(subject: two.subject, subjectAltName: names(two)))
        policy.maxSubjectBytes = 64
        let long = try csr("CN=dev-1,O=" + String(repeating: "x", count: 60))
        XCTAssertThrowsError(try policy.check(subject: long.subject, subjectAltName: []))
        XCTAssertThrowsError(try { var p = IdentityPolicy(); p.cnPattern = "(unclosed"; try p.validate() }())
    }

    func testPassphraseFilesOpenToOthersAreRefused() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("estfcgi-pass-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        try "a passphrase\n".write(toFile: path, atomically: true, encoding: .utf8)
        chmod(path, 0o644)
        XCTAssertThrowsError(try PassphraseFile.read(path)) {
            XCTAssertTrue("\($0)".contains("open to others (mode 644)"), "\($0)")
        }
        chmod(path, 0o640)
        XCTAssertEqual(try PassphraseFile.read(path, minimumLength: 8), "a passphrase", "owner and group only is fine")
    }

    /// A secret's first line as bytes: up to LF, one CR dropped, bytes that are not UTF-8 kept.
    func testFirstLineIsTheBytesBeforeTheLineEnd() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("estfcgi-pass-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        func line(_ bytes: [UInt8]) throws -> [UInt8] {
            try Data(bytes).write(to: URL(fileURLWithPath: path))
            chmod(path, 0o600)
            return try PassphraseFile.firstLine(path)
        }
        XCTAssertEqual(try line(Array("secret\r\nnext\r\n".utf8)), Array("secret".utf8))
        XCTAssertEqual(try line(Array("secret\n".utf8)), Array("secret".utf8))
        XCTAssertEqual(try line(Array("secret".utf8)), Array("secret".utf8))
        XCTAssertEqual(try line([0xFF, 0xFE, 0x00, 0x41, 0x0A, 0x42]), [0xFF, 0xFE, 0x00, 0x41])
        XCTAssertThrowsError(try PassphraseFile.firstLine(path, minimumLength: 5), "4 bytes are under 5")
    }
}
