@testable import ESTOpenSSL
import Foundation
import XCTest

/// The certificates SET of a SignedData is a DER SET OF (RFC 5652 §5.1, X.690 §11.6):
/// its elements are in ascending order of their encodings.
final class DEROrderTests: XCTestCase {
    func testSetOrderComparesAsPaddedOctetStrings() {
        XCTAssertTrue(DER.setOrderPrecedes(Data([0x30, 0x01]), Data([0x30, 0x02])))
        XCTAssertFalse(DER.setOrderPrecedes(Data([0x31]), Data([0x30, 0xff])))
        XCTAssertTrue(DER.setOrderPrecedes(Data([0x30]), Data([0x30, 0x01])), "shorter, padded with 0, is smaller")
        XCTAssertFalse(DER.setOrderPrecedes(Data([0x30]), Data([0x30, 0x00])), "equal once padded")
        XCTAssertFalse(DER.setOrderPrecedes(Data([0x30, 0x00]), Data([0x30])))
        XCTAssertFalse(DER.setOrderPrecedes(Data(), Data()))
        // Slices keep their parent's indices.
        let slice = Data([9, 9, 0x30, 0x05]).dropFirst(2)
        XCTAssertTrue(DER.setOrderPrecedes(slice, Data([0x30, 0x06])))
    }

    func testCertsOnlyPKCS7WritesTheCertificateSetInDEROrder() throws {
        let pki = try TestPKI()
        let leaves = try (0..<3).map { try pki.leaf(try PrivateKey.generate(.ecP256), cn: "leaf-\($0)") }
        let all = [pki.root, pki.sub] + leaves
        // Given in descending order: surely not the DER order.
        let descending = all.sorted { DER.setOrderPrecedes($1.der, $0.der) }
        XCTAssertFalse(Self.isSetOrdered(descending.map(\.der)), "the input must be out of order for this test to mean anything")
        let der = try PKCS7CertsOnly.encode(descending)
        let set = try XCTUnwrap(Self.certificateSet(ofContentInfo: der, signedDataTag: 0x30))
        XCTAssertEqual(set.count, 5)
        XCTAssertTrue(Self.isSetOrdered(set), "certificates SET not in DER order")
        XCTAssertEqual(Set(set), Set(all.map(\.der)), "the same certificates, byte for byte")
        XCTAssertEqual(Set(try PKCS7CertsOnly.decode(der).map(\.der)), Set(all.map(\.der)))
    }

    /// The CMS SignedData inside a server-generated key's envelope (RFC 7030 §4.4.2) carries
    /// the issuer's chain; OpenSSL's CMS type declares it a SET OF, and it must stay sorted.
    func testServerKeyEnvelopeSignedDataCertificateSetIsInDEROrder() throws {
        let pki = try TestPKI()
        let extra = try pki.leaf(try PrivateKey.generate(.ecP256), cn: "extra")
        let chain = [pki.root, extra].sorted { DER.setOrderPrecedes($1.der, $0.der) }
        let signed = try ServerKeyEnvelope.sign(DER.sequence([DER.integer(0)]), contentType: .asymmetricKeyPackage,
                                                signer: pki.sub, key: pki.subKey, chain: chain)
        let set = try XCTUnwrap(Self.certificateSet(ofContentInfo: signed, signedDataTag: 0x30))
        XCTAssertEqual(set.count, 3)
        XCTAssertTrue(Self.isSetOrdered(set), "CMS certificates SET not in DER order")
    }

    static func isSetOrdered(_ encodings: [Data]) -> Bool {
        zip(encodings, encodings.dropFirst()).allSatisfy { !DER.setOrderPrecedes($0.1, $0.0) }
    }

    /// The encodings in `certificates [0] IMPLICIT CertificateSet` of a ContentInfo holding a
    /// SignedData (RFC 5652 §3, §5.1).
    static func certificateSet(ofContentInfo der: Data, signedDataTag: UInt8) -> [Data]? {
        guard let info = DER.elements(der), info.count == 1, let parts = DER.elements(info[0].content), parts.count == 2,
              parts[1].tag == 0xa0, let explicit = DER.elements(parts[1].content), explicit.count == 1,
              explicit[0].tag == signedDataTag, let fields = DER.elements(explicit[0].content),
              let certificates = fields.first(where: { $0.tag == 0xa0 }) else { return nil }
        return DER.elements(certificates.content)?.map(\.encoded)
    }
}
