import ESTOpenSSL
import Foundation
import XCTest

/// Known-answer tests: CSRs made by `openssl req` and by python `cryptography` (another
/// client implementation), checked against what those tools say of them
/// (Tests/Vectors/csr/manifest.json, written by Tests/Vectors/generate.sh).
final class CSRVectorTests: XCTestCase {
    struct Vector: Decodable {
        let file: String
        let description: String
        let encoding: String
        let valid: Bool
        let signature_valid: Bool?
        let subject: String?
        let subject_der_hex: String?
        let key_algorithm: String?
        let key_bits: Int?
        let ec_curve: String?
        let signature_algorithm_oid: String?
        let attribute_oids: [String]?
        let extension_oids: [String]?
        let critical_extension_oids: [String]?
        let san_kinds: [String]?
        let san_der_hex: String?
    }

    struct Manifest: Decodable { let vectors: [Vector] }

    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Vectors/csr")

    static func manifest() throws -> [Vector] {
        try JSONDecoder().decode(Manifest.self, from: Data(contentsOf: directory.appendingPathComponent("manifest.json"))).vectors
    }

    /// The manifest's SAN kind names for the GeneralName kinds.
    static func kindName(_ k: GeneralNameKind) -> String {
        switch k {
        case .dNSName: return "dns"
        case .iPAddress: return "ip"
        case .rfc822Name: return "email"
        case .uniformResourceIdentifier: return "uri"
        default: return "other"
        }
    }

    func testEveryVectorParsesAsTheIndependentToolsSay() throws {
        let vectors = try Self.manifest()
        XCTAssertGreaterThanOrEqual(vectors.count, 20)
        for v in vectors {
            let body = try Data(contentsOf: Self.directory.appendingPathComponent(v.file))
            let what = "\(v.file): \(v.description)"
            guard v.valid else {
                XCTAssertThrowsError(try CertificateSigningRequest(anyEncoding: body), what)
                continue
            }
            let csr = try CertificateSigningRequest(anyEncoding: body)
            XCTAssertEqual(csr.signatureIsValid, v.signature_valid, what)
            XCTAssertEqual(csr.subject.der.hexString, v.subject_der_hex, what)
            XCTAssertEqual(csr.subject.string, v.subject, what)
            XCTAssertEqual(csr.signatureAlgorithm.dotted, v.signature_algorithm_oid, what)
            XCTAssertEqual(csr.attributes.map(\.oid.dotted), v.attribute_oids, what)
            XCTAssertEqual(csr.requestedExtensions.map(\.oid.dotted), v.extension_oids, what)
            XCTAssertEqual(csr.requestedExtensions.filter(\.critical).map(\.oid.dotted), v.critical_extension_oids, what)
            XCTAssertEqual(csr.subjectAltNameDER?.hexString, v.san_der_hex, what)
            let kinds = Set((csr.subjectAltNameDER.flatMap(GeneralNameKind.kinds(inGeneralNames:)) ?? []).map(Self.kindName))
            XCTAssertEqual(kinds, Set(v.san_kinds ?? []), what)
            switch (v.key_algorithm, csr.publicKey.algorithm) {
            case ("rsa", .rsa(let bits)): XCTAssertEqual(bits, v.key_bits, what)
            case ("ec", .ec(let curve)): XCTAssertEqual(curve, v.ec_curve, what)
            case ("ed25519", .ed25519): break
            default: XCTFail("\(what): key \(csr.publicKey.algorithm), manifest \(v.key_algorithm ?? "-")")
            }
        }
    }

    func testTheFiveBodyEncodingsAreOneCSR() throws {
        // RFC 8951 §3: Content-Transfer-Encoding is ignored; DER, PEM and base64 with any
        // wrapping all carry the same request.
        let bodies = try Self.manifest().filter { $0.file.hasPrefix("body.") }
        XCTAssertEqual(Set(bodies.map(\.encoding)), ["der", "pem", "base64", "base64_lf", "base64_crlf"])
        let ders = try bodies.map {
            try CertificateSigningRequest(anyEncoding: Data(contentsOf: Self.directory.appendingPathComponent($0.file))).der
        }
        XCTAssertEqual(Set(ders).count, 1)
    }
}

final class DecodeLeakTests: XCTestCase {
    /// Resident memory in bytes (Linux).
    func residentBytes() -> Int {
        let statm = (try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8)) ?? "0 0"
        return (Int(statm.split(separator: " ")[1]) ?? 0) * Int(sysconf(Int32(_SC_PAGESIZE)))
    }

    /// Found by FuzzBody under ASan: a DER object followed by extra bytes was refused but
    /// not freed, so any client could leak ~3 KB per request with such a CSR.
    func testRefusedTrailingBytesLeakNothing() throws {
        // Under AddressSanitizer freed memory waits in its quarantine (256 MiB), so resident
        // size says nothing there; LeakSanitizer is the check (SANITIZE_LEAKS=1 scripts/sanitize).
        try XCTSkipIf(ProcessInfo.processInfo.environment["ASAN_OPTIONS"] != nil, "resident size is meaningless under ASan")
        let body = try Data(contentsOf: CSRVectorTests.directory.appendingPathComponent("trailing-garbage.der"))
        for _ in 0..<1000 { XCTAssertNil(try? CertificateSigningRequest(der: body)) }  // warm up
        let before = residentBytes()
        for _ in 0..<40_000 { _ = try? CertificateSigningRequest(der: body) }
        let grown = residentBytes() - before
        XCTAssertLessThan(grown, 16 << 20, "grew \(grown >> 20) MiB over 40,000 refused parses")
    }
}
