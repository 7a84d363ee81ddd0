@testable import ESTCA
import ESTOpenSSL
import Foundation
import XCTest

/// The signed-response cache's pure parts: what a key holds, how long an entry serves, its bound.
final class OCSPResponseCacheTests: XCTestCase {
    func certificate(_ cn: String) throws -> Certificate {
        let key = try PrivateKey.generate(.ecP256)
        return try CertificateSigner.sign(CertificateTemplate(subject: try DistinguishedName(parsing: "CN=\(cn)"), publicKey: try key.publicKey,
                                                              serial: try CertificateTemplate.randomSerial(), notBefore: Date() - 60,
                                                              notAfter: Date() + 3600, isCA: true, keyUsage: [.keyCertSign]),
                                          issuer: nil, issuerKey: key)
    }

    func testKeyHoldsCAStatusesAndSigner() throws {
        let ca = try certificate("CA"), signer = try certificate("Signer"), rotated = try certificate("Signer 2")
        let der = DER.sequence([DER.sequence([DER.sequence([DER.sequence([
            DER.sequence([DER.sequence([DER.tlv(0x06, Data([0x2b, 0x0e, 0x03, 0x02, 0x1a])), Data([0x05, 0x00])]),
                          DER.tlv(0x04, try OCSPIssuerHash(of: ca, algorithm: .sha1).nameHash),
                          DER.tlv(0x04, try OCSPIssuerHash(of: ca, algorithm: .sha1).keyHash), DER.tlv(0x02, Data([0x05]))]),
        ])])])])
        let ids = try OCSPRequest(der: der).certIDs
        let good = OCSPResponseCache.key(ca: "CA", signer: signer, certIDs: ids, statuses: [.good])
        XCTAssertEqual(good, OCSPResponseCache.key(ca: "CA", signer: signer, certIDs: ids, statuses: [.good]))
        XCTAssertNotEqual(good, OCSPResponseCache.key(ca: "CA", signer: signer, certIDs: ids,
                                                      statuses: [.revoked(at: Date(timeIntervalSince1970: 1), reasonCode: 1)]),
                          "a revocation is a new key: the next answer is signed afresh")
        XCTAssertNotEqual(good, OCSPResponseCache.key(ca: "CA", signer: rotated, certIDs: ids, statuses: [.good]), "a rotation too")
        XCTAssertNotEqual(good, OCSPResponseCache.key(ca: "CA2", signer: signer, certIDs: ids, statuses: [.good]))
    }

    func testEntriesServeWhileHalfTheirValidityIsLeftAndTheCacheIsBounded() {
        let cache = OCSPResponseCache(capacity: 3)
        let t0 = Date(timeIntervalSince1970: 1_000_000)
        let entry = OCSPResponseCache.Entry(der: Data([1]), thisUpdate: t0, nextUpdate: t0 + 100)
        func key(_ i: Int) -> OCSPResponseCache.Key { .init(ca: "CA", signer: Data([UInt8(i)]), certIDs: [], statuses: [.good]) }
        cache.store(entry, for: key(0), at: t0)
        XCTAssertNotNil(cache.entry(key(0), at: t0 + 49))
        XCTAssertNil(cache.entry(key(0), at: t0 + 50), "at half its validity it is signed again")
        XCTAssertNil(cache.entry(key(0), at: t0 - 1), "a clock set back does not serve a response from the future")
        cache.store(entry, for: key(1), at: t0)
        cache.store(entry, for: key(2), at: t0)
        XCTAssertEqual(cache.count, 3)
        cache.store(entry, for: key(3), at: t0)
        XCTAssertEqual(cache.count, 1, "full of fresh entries: emptied, then the new one")
        XCTAssertNotNil(cache.entry(key(3), at: t0))
        cache.store(entry, for: key(5), at: t0)
        cache.store(entry, for: key(6), at: t0)
        cache.store(.init(der: Data([2]), thisUpdate: t0 + 80, nextUpdate: t0 + 180), for: key(4), at: t0 + 80)
        XCTAssertEqual(cache.count, 1, "at capacity the stale entries go first")
    }
}
