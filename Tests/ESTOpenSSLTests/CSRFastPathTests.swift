@testable import ESTOpenSSL
import Foundation
import XCTest

/// The CSR fast path (EC keys with ECDSA signatures, read without OpenSSL's key decoder)
/// must read every request exactly as the full d2i_X509_REQ parse does: the same fields,
/// the same signature verdict, the same refusals.
final class CSRFastPathTests: XCTestCase {
    static func assertSame(_ der: Data, _ what: String, file: StaticString = #filePath, line: UInt = #line) {
        let fast = Result { try CertificateSigningRequest(der: der) }
        let full = Result { try CertificateSigningRequest.parsedInFull(der: der) }
        switch (fast, full) {
        case (.failure, .failure):
            return
        case (.success(let a), .success(let b)):
            XCTAssertEqual(a.der, b.der, what, file: file, line: line)
            XCTAssertEqual(a.subject.der, b.subject.der, what, file: file, line: line)
            XCTAssertEqual(a.publicKey.spkiDER, b.publicKey.spkiDER, what, file: file, line: line)
            XCTAssertEqual(a.publicKey.keyIdentifier, b.publicKey.keyIdentifier, what, file: file, line: line)
            XCTAssertEqual("\(a.publicKey.algorithm)", "\(b.publicKey.algorithm)", what, file: file, line: line)
            XCTAssertEqual(a.publicKey.hasNamedCurve, b.publicKey.hasNamedCurve, what, file: file, line: line)
            XCTAssertEqual(a.signatureIsValid, b.signatureIsValid, what, file: file, line: line)
            XCTAssertEqual(a.signatureAlgorithm, b.signatureAlgorithm, what, file: file, line: line)
            XCTAssertEqual(a.attributes.map { "\($0.oid.dotted) \($0.values)" }, b.attributes.map { "\($0.oid.dotted) \($0.values)" },
                           what, file: file, line: line)
            XCTAssertEqual(a.requestedExtensions.map { "\($0.oid.dotted) \($0.critical) \($0.value.hexString)" },
                           b.requestedExtensions.map { "\($0.oid.dotted) \($0.critical) \($0.value.hexString)" }, what, file: file, line: line)
        default:
            XCTFail("\(what): fast path \(fast), full parse \(full)", file: file, line: line)
        }
    }

    func testEveryVectorReadsAsTheFullParseReadsIt() throws {
        var fastOnes = 0
        for v in try CSRVectorTests.manifest() {
            let body = try Data(contentsOf: CSRVectorTests.directory.appendingPathComponent(v.file))
            guard let der = PEM.derFromAnyEncoding(body, labels: ["CERTIFICATE REQUEST", "NEW CERTIFICATE REQUEST"]) else { continue }
            if CertificateSigningRequest.fastParts(der) != nil { fastOnes += 1 }
            Self.assertSame(der, "\(v.file): \(v.description)")
        }
        XCTAssertGreaterThan(fastOnes, 3, "the vectors include EC requests the fast path reads")
    }

    func testEachCurveAndAlteredBytesAreJudgedAlike() throws {
        for type in [KeyType.ecP256, .ecP384, .ecP521] {
            let csr = try CSRBuilder.make(subject: try DistinguishedName(parsing: "CN=fast,O=path"), key: try PrivateKey.generate(type),
                                          extensions: [("subjectAltName", "DNS:a.example")])
            let der = csr.der
            XCTAssertNotNil(CertificateSigningRequest.fastParts(der), "\(type)")
            let parsed = try CertificateSigningRequest(der: der)
            XCTAssertTrue(parsed.signatureIsValid, "\(type)")
            Self.assertSame(der, "\(type) as made")
            // Every single byte altered in turn: a changed name or key bit, a broken length or
            // tag, a signature that no longer verifies. Both readings must agree on each.
            for i in 0..<der.count {
                var altered = der
                altered[i] ^= 0x01
                Self.assertSame(altered, "\(type) byte \(i) altered")
                if i >= der.count - 8, let alteredCSR = try? CertificateSigningRequest(der: altered) {
                    XCTAssertFalse(alteredCSR.signatureIsValid, "\(type) signature byte \(i) altered")
                }
            }
        }
    }

    /// The curve templates are shared by every worker thread: keys built from them at once
    /// on many threads are each their own request's, and each signature still verifies
    /// (and a wrong one still fails).
    func testKeysBuiltOnManyThreadsAtOnceAreEachTheirOwn() throws {
        var requests: [(der: Data, spki: Data, forged: Data)] = []
        for type in [KeyType.ecP256, .ecP384, .ecP521] {
            for n in 0..<4 {
                let csr = try CSRBuilder.make(subject: try DistinguishedName(parsing: "CN=thread \(n)"), key: try PrivateKey.generate(type))
                var forged = csr.der
                forged[forged.count - 3] ^= 0x01
                requests.append((csr.der, try CertificateSigningRequest.parsedInFull(der: csr.der).publicKey.spkiDER, forged))
            }
        }
        let failures = LockedCounter()
        let made = requests
        DispatchQueue.concurrentPerform(iterations: 8) { thread in
            for round in 0..<25 {
                let r = made[(thread + round) % made.count]
                guard let csr = try? CertificateSigningRequest(der: r.der), csr.signatureIsValid, csr.publicKey.spkiDER == r.spki,
                      (try? CertificateSigningRequest(der: r.forged))?.signatureIsValid != true else {
                    failures.add()
                    continue
                }
            }
        }
        XCTAssertEqual(failures.value, 0)
    }

    func testANonMinimalLengthIsLeftToTheFullParse() throws {
        let csr = try CSRBuilder.make(subject: try DistinguishedName(parsing: "CN=long"), key: try PrivateKey.generate(.ecP256))
        let der = csr.der
        let outer = try XCTUnwrap(DER.elements(der)?.first)
        var longForm = Data([0x30, 0x84])
        let n = outer.content.count
        longForm += Data([UInt8(n >> 24 & 0xff), UInt8(n >> 16 & 0xff), UInt8(n >> 8 & 0xff), UInt8(n & 0xff)]) + outer.content
        XCTAssertNil(CertificateSigningRequest.fastParts(longForm))
        Self.assertSame(longForm, "outer length in five bytes")
        XCTAssertNil(CertificateSigningRequest.fastParts(der + Data([0])), "trailing bytes")
        Self.assertSame(der + Data([0]), "trailing byte")
    }

    func testRSARequestsTakeTheFullParse() throws {
        let csr = try CSRBuilder.make(subject: try DistinguishedName(parsing: "CN=rsa"), key: try PrivateKey.generate(.rsa2048))
        XCTAssertNil(CertificateSigningRequest.fastParts(csr.der))
        XCTAssertTrue(try CertificateSigningRequest(der: csr.der).signatureIsValid)
    }
}

/// A count several threads add to.
private final class LockedCounter: @unchecked Sendable {
    private let lock = NSLock()
    private var count = 0
    func add() { lock.withLock { count += 1 } }
    var value: Int { lock.withLock { count } }
}
