import ESTCA
import ESTCore
import ESTOpenSSL
import ESTStore
import Foundation
import XCTest

/// Migration 14 on every engine: an earlier generation keeps its token key reference (a token
/// CA renewed or rolled over), the current row takes the new key wherever it lives, and the
/// CRLs of earlier keys are recorded per key, numbered monotonically, the latest served;
/// `store copy` carries both.
enum GenerationKeyContract {
    static func tokenGenerationsAndKeyCRLs(_ f: StoreFactory) throws {
        _ = try StoreContract.setUp(f)
        let store = try f.makeStore()
        let now = Date()
        func cert(_ cn: String) throws -> Certificate {
            let key = try PrivateKey.generate(.ecP256)
            return try CertificateSigner.sign(CertificateTemplate(
                subject: try DistinguishedName(parsing: "CN=\(cn)"), publicKey: try key.publicKey, serial: try CertificateTemplate.randomSerial(),
                notBefore: now, notAfter: now.addingTimeInterval(86400), isCA: true, pathLength: nil,
                keyUsage: [.keyCertSign, .cRLSign, .digitalSignature]), issuer: nil, issuerKey: key)
        }
        let token = try CAAdministration.tokenKeyReference(uri: "pkcs11:token=ca;object=k2", module: "/usr/lib/softhsm/libsofthsm2.so")
        let software = try XCTUnwrap(try store.ca(named: "issuing"))
        // Software -> token, then token -> software: each generation keeps its key as it was.
        let first = try cert("Issuing 2")
        let afterToken = try store.replaceCertificate(CAReplacement(name: "issuing", replacing: software.certificate, certificate: first,
                                                                    chain: software.chain, encryptedKeyPEM: nil, tokenKey: token),
                                                      audit: .admin("ca-renew", reason: "test"), now: now)
        XCTAssertEqual(afterToken.tokenKey, token)
        XCTAssertNil(afterToken.encryptedKeyPEM)
        let second = try cert("Issuing 3")
        let back = try store.replaceCertificate(CAReplacement(name: "issuing", replacing: first, certificate: second, chain: software.chain,
                                                              encryptedKeyPEM: software.encryptedKeyPEM),
                                                audit: .admin("ca-renew", reason: "test"), now: now)
        XCTAssertNil(back.tokenKey)
        XCTAssertEqual(back.encryptedKeyPEM, software.encryptedKeyPEM)
        let generations = try store.caGenerations(ofCA: "issuing")
        XCTAssertEqual(generations.map(\.keyLocation), ["encrypted", "pkcs11"])
        XCTAssertEqual(generations.last?.tokenKey, token)
        XCTAssertNil(generations.last?.encryptedKeyPEM)
        XCTAssertEqual(generations.first?.encryptedKeyPEM, software.encryptedKeyPEM)
        XCTAssertNil(generations.first?.tokenKey)

        // Key CRLs: per CA and key, monotonic, the latest served, a few kept.
        func crl(_ n: Int64) -> PublishedCRL {
            PublishedCRL(issuer: "issuing", number: n, thisUpdate: Timestamp.string(now), nextUpdate: Timestamp.string(now + 3600),
                         entries: Int(n), der: Data([0x30, UInt8(n)]))
        }
        XCTAssertNil(try store.latestKeyCRL(issuer: "issuing", keyID: "k0"))
        for n: Int64 in 1...12 { try store.recordKeyCRL(crl(n), keyID: "k0", audit: .admin("crl-previous-key", reason: "t"), now: now) }
        XCTAssertThrowsError(try store.recordKeyCRL(crl(12), keyID: "k0", audit: .admin("crl-previous-key", reason: "t"), now: now)) {
            XCTAssertTrue($0 is CRLNumberTaken, "\($0)")
        }
        XCTAssertThrowsError(try store.recordKeyCRL(crl(5), keyID: "k0", audit: .admin("crl-previous-key", reason: "t"), now: now))
        try store.recordKeyCRL(crl(3), keyID: "k1", audit: .admin("crl-previous-key", reason: "t"), now: now)
        XCTAssertEqual(try store.latestKeyCRL(issuer: "issuing", keyID: "k0")?.number, 12)
        XCTAssertEqual(try store.latestKeyCRL(issuer: "issuing", keyID: "k1")?.der, Data([0x30, 3]))
        XCTAssertNil(try store.latestKeyCRL(issuer: "root", keyID: "k0"))
        XCTAssertNil(try store.latestCRL(issuer: "issuing"), "the current key's CRLs are apart")

        let target = try StoreFactory(f.backend)
        _ = try target.makeStore(create: true)
        _ = try StoreCopy.copy(from: try f.connection(), to: try target.connection(), targetName: "target")
        XCTAssertEqual(try target.makeStore().caGenerations(ofCA: "issuing").last?.tokenKey, token)
        XCTAssertEqual(try target.makeStore().latestKeyCRL(issuer: "issuing", keyID: "k0")?.number, 12)
    }
}
