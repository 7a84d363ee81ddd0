import COpenSSL
@testable import ESTOpenSSL
import Foundation
import XCTest

/// Certs-only PKCS#7 as written here is byte for byte what OpenSSL's PKCS7 type wrote for the
/// same certificates in DER SET order (i2d_PKCS7, as every earlier release answered).
final class PKCS7Tests: XCTestCase {
    func testEncodingIsOpenSSLs() throws {
        let pki = try TestPKI()
        let leafKey = try PrivateKey.generate(.ecP256)
        let leaf = try CertificateSigner.sign(CertificateTemplate(
            subject: try DistinguishedName(parsing: "CN=leaf"), publicKey: try leafKey.publicKey,
            serial: try CertificateTemplate.randomSerial(), notBefore: Date() - 60, notAfter: Date() + 86400,
            isCA: false, keyUsage: [.digitalSignature]),
            issuer: pki.sub, issuerKey: pki.subKey)
        let sets: [[Certificate]] = [[], [leaf], [leaf, pki.sub, pki.root], [pki.root, leaf]]
        for certificates in sets {
            let expected = try Self.openSSLEncoding(DER.sortedForSet(certificates, by: \.der))
            XCTAssertEqual(try PKCS7CertsOnly.encode(certificates).hexString, expected.hexString, "\(certificates.count) certificates")
            XCTAssertEqual(try PKCS7CertsOnly.decode(expected).map(\.der).sorted { $0.lexicographicallyPrecedes($1) },
                           certificates.map(\.der).sorted { $0.lexicographicallyPrecedes($1) })
        }
    }

    /// OpenSSL's certs-only SignedData with the certificates in the order given.
    static func openSSLEncoding(_ certificates: [Certificate]) throws -> Data {
        let p7 = try XCTUnwrap(PKCS7_new())
        defer { PKCS7_free(p7) }
        XCTAssertEqual(PKCS7_set_type(p7, NID_pkcs7_signed), 1)
        XCTAssertEqual(PKCS7_content_new(p7, NID_pkcs7_data), 1)
        for c in certificates { XCTAssertEqual(PKCS7_add_certificate(p7, c.x509), 1) }
        let length = i2d_PKCS7(p7, nil)
        var bytes = [UInt8](repeating: 0, count: Int(length))
        bytes.withUnsafeMutableBufferPointer { buffer in
            var p = buffer.baseAddress
            _ = i2d_PKCS7(p7, &p)
        }
        return Data(bytes)
    }
}
