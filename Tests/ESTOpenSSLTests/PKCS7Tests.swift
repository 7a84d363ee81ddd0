@testable import ESTOpenSSL
import Foundation
import XCTest

/// Certs-only PKCS#7 as written here is byte for byte what OpenSSL writes for the same
/// certificates in DER SET order (`openssl crl2pkcs7 -nocrl`, i2d_PKCS7 underneath).
final class PKCS7Tests: XCTestCase {
    func testEncodingIsOpenSSLs() throws {
        let pki = try TestPKI()
        let leafKey = try PrivateKey.generate(.ecP256)
        let leaf = try CertificateSigner.sign(CertificateTemplate(
            subject: try DistinguishedName(parsing: "CN=leaf"), publicKey: try leafKey.publicKey,
            serial: try CertificateTemplate.randomSerial(), notBefore: Date() - 60, notAfter: Date() + 86400,
            isCA: false, keyUsage: [.digitalSignature]),
            issuer: pki.sub, issuerKey: pki.subKey)
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("pkcs7tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let sets: [[Certificate]] = [[], [leaf], [leaf, pki.sub, pki.root], [pki.root, leaf]]
        for certificates in sets {
            var arguments = ["crl2pkcs7", "-nocrl", "-outform", "DER", "-out", "p7.der"]
            if !certificates.isEmpty {
                let sorted = DER.sortedForSet(certificates, by: \.der)
                try sorted.map(\.pem).joined().write(to: dir.appendingPathComponent("certs.pem"), atomically: true, encoding: .utf8)
                arguments += ["-certfile", "certs.pem"]
            }
            let status = try run(arguments, in: dir)
            XCTAssertEqual(status, 0)
            let expected = try Data(contentsOf: dir.appendingPathComponent("p7.der"))
            XCTAssertEqual(try PKCS7CertsOnly.encode(certificates).hexString, expected.hexString, "\(certificates.count) certificates")
            XCTAssertEqual(try PKCS7CertsOnly.decode(expected).map(\.der).sorted { $0.lexicographicallyPrecedes($1) },
                           certificates.map(\.der).sorted { $0.lexicographicallyPrecedes($1) })
        }
    }

    private func run(_ arguments: [String], in directory: URL) throws -> Int32 {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["openssl"] + arguments
        process.currentDirectoryURL = directory
        try process.run()
        process.waitUntilExit()
        return process.terminationStatus
    }
}
