import ESTCA
import ESTCore
import ESTOpenSSL
import ESTStore
import Foundation
import XCTest

/// `ca rollover` and `ca renew` (RFC 4210 §4.4, RFC 7030 §4.1.3) on every engine: the state
/// machine, its refusals, what /cacerts and client authentication see at each stage, and
/// two rollovers at once making one.
enum RolloverContract {
    static func admin(_ store: any CAStore) -> CAAdministration {
        CAAdministration(CertificateAuthority(store: store, keyring: CAKeyring(passphrase: StoreContract.passphrase)))
    }

    static func refusal(_ body: () throws -> Any, _ expected: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertThrowsError(try body(), file: file, line: line) {
            guard case .badRequest(let why)? = $0 as? CAError else { return XCTFail("\($0)", file: file, line: line) }
            XCTAssertTrue(why.contains(expected), why, file: file, line: line)
        }
    }

    static func stateMachine(_ f: StoreFactory) throws {
        let boot = try StoreContract.setUp(f)
        let store = try f.makeStore()
        let a = admin(store)
        let authority = CertificateAuthority(store: store, keyring: CAKeyring(passphrase: StoreContract.passphrase))
        let oldRoot = try XCTUnwrap(store.ca(named: "root")).certificate
        XCTAssertEqual(try authority.caCertificates(profile: nil).count, 2)

        // Refusals that make no sense; nothing changes.
        refusal({ try a.rollover(name: "issuing", keyType: nil, days: nil) }, "is not a root")
        refusal({ try a.renew(name: "root", newKey: false, issuer: nil, days: nil) }, "is a root")
        refusal({ try a.finishRollover(name: "root") }, "no rollover in progress")
        let anchorKey = try PrivateKey.generate(.ecP256)
        _ = try a.importCA(name: "anchor", certificatePEM: try CertificateSigner.sign(CertificateTemplate(
            subject: try DistinguishedName(parsing: "CN=Anchor"), publicKey: try anchorKey.publicKey,
            serial: try CertificateTemplate.randomSerial(), notBefore: Date() - 60, notAfter: Date() + 86400, isCA: true,
            keyUsage: [.keyCertSign, .cRLSign]), issuer: nil, issuerKey: anchorKey).pem,
            keyPEM: nil, keyPassphrase: nil, chainPEM: nil)
        refusal({ try a.renew(name: "issuing", newKey: false, issuer: "anchor", days: nil) }, "has no usable key")
        refusal({ try a.rollover(name: "anchor", keyType: nil, days: nil) }, "has no private key")
        XCTAssertEqual(try store.caGenerations(ofCA: nil).count, 0)

        // Rollover: NewWithNew current, the old kept with its links, the overlap on.
        let version = try store.materialVersion()
        let r = try a.rollover(name: "root", keyType: nil, days: 100)
        XCTAssertNotEqual(try store.materialVersion(), version)
        let newRoot = r.ca.certificate
        XCTAssertEqual(newRoot.subject, oldRoot.subject)
        XCTAssertTrue(newRoot.isSigned(by: newRoot))
        XCTAssertNotEqual(newRoot.subjectKeyIdentifier, oldRoot.subjectKeyIdentifier)
        XCTAssertTrue(r.newWithOld.isSigned(by: oldRoot) && r.newWithOld.publicKey.spkiDER == newRoot.publicKey.spkiDER)
        XCTAssertTrue(r.oldWithNew.isSigned(by: newRoot) && r.oldWithNew.publicKey.spkiDER == oldRoot.publicKey.spkiDER)
        XCTAssertLessThanOrEqual(r.newWithOld.notAfter, oldRoot.notAfter, "a link outlives no certificate it joins")
        XCTAssertLessThanOrEqual(r.oldWithNew.notAfter, oldRoot.notAfter)
        let generations = try store.caGenerations(ofCA: "root")
        XCTAssertEqual(generations.map(\.certificate), [oldRoot])
        XCTAssertEqual(generations.map(\.inOverlap), [true])
        XCTAssertEqual(generations.first?.hasKey, true, "the old key is kept for CRLs")
        refusal({ try a.rollover(name: "root", keyType: nil, days: nil) }, "rollover in progress")
        // The old key signs a CRL of what it certified until its certificate expires.
        let oldKeyCRLs = try a.previousKeyCRLs(ca: "root", number: 1, nextUpdateHours: 24)
        XCTAssertEqual(oldKeyCRLs.map(\.issuer), [oldRoot.subject])
        let later = CAAdministration(CertificateAuthority(store: store, keyring: CAKeyring(passphrase: StoreContract.passphrase),
                                                          now: { oldRoot.notAfter + 1 }))
        XCTAssertEqual(try later.previousKeyCRLs(ca: "root", number: 1, nextUpdateHours: 24).count, 0)
        // §4.1.3: the chain and OldWithNew, NewWithOld, NewWithNew.
        let overlap = try authority.caCertificates(profile: nil)
        XCTAssertEqual(overlap.count, 5)
        for c in [oldRoot, r.oldWithNew, r.newWithOld, newRoot] { XCTAssertTrue(overlap.contains(c)) }

        // A bootstrap anchor rolled over: certificates it signed with the old key still
        // authenticate a first enrollment (its earlier generation ends their path).
        _ = try a.rollover(name: "factory", keyType: .ecP384, days: nil)
        XCTAssertEqual(try store.ca(named: "factory")?.certificate.publicKey.algorithm.keyType, .ecP384)
        let service = StoreContract.service(store)
        let enrolled = service.handle(try StoreContract.request("simpleenroll", label: nil, cn: "old-boot-dev", client: boot))
        XCTAssertEqual(enrolled.response.status, 200, enrolled.logLine)

        // Renew the issuing CA under the new root (same key): profiles issue under it at once.
        let oldIssuing = try XCTUnwrap(store.ca(named: "issuing")).certificate
        let renewed = try a.renew(name: "issuing", newKey: false, issuer: nil, days: nil)
        XCTAssertTrue(renewed.certificate.isSigned(by: newRoot))
        XCTAssertEqual(renewed.certificate.publicKey.spkiDER, oldIssuing.publicKey.spkiDER)
        XCTAssertEqual(renewed.chain, [newRoot])
        let device = try XCTUnwrap(enrolled.serial)
        let reenrolled = service.handle(try StoreContract.request("simplereenroll", label: nil, cn: "old-boot-dev",
                                                                  client: try StoreContract.pem(of: device, in: store)))
        XCTAssertEqual(reenrolled.response.status, 200, "an old-chain device re-enrolls: \(reenrolled.logLine)")
        let successor = try Certificate(pem: try StoreContract.pem(of: try XCTUnwrap(reenrolled.serial), in: store))
        XCTAssertTrue(successor.isSigned(by: renewed.certificate))
        XCTAssertEqual(try authority.caCertificates(profile: nil).count, 4)

        // Finish: the old root and the links leave /cacerts; once only.
        try a.finishRollover(name: "root")
        refusal({ try a.finishRollover(name: "root") }, "no rollover in progress")
        XCTAssertEqual(try authority.caCertificates(profile: nil), [renewed.certificate, newRoot])
        XCTAssertEqual(try store.caGenerations(ofCA: "root").map(\.inOverlap), [false])
        // A new rollover may begin after the end.
        XCTAssertNoThrow(try a.rollover(name: "root", keyType: nil, days: nil))

        let operations = try store.auditRecords(limit: 100).map(\.event.operation)
        for op in ["ca-rollover", "ca-renew", "ca-rollover-finish"] { XCTAssertTrue(operations.contains(op), op) }

        // `store copy` carries the generations, links and overlap flags.
        let target = try StoreFactory(f.backend)
        let copy = try target.makeStore(create: true)
        _ = try StoreCopy.copy(from: try f.connection(), to: try target.connection(), targetName: "target")
        let (source, copied) = (try store.caGenerations(ofCA: nil), try copy.caGenerations(ofCA: nil))
        XCTAssertEqual(copied.map(\.certificate), source.map(\.certificate))
        XCTAssertEqual(copied.map(\.oldWithNew), source.map(\.oldWithNew))
        XCTAssertEqual(copied.map(\.inOverlap), source.map(\.inOverlap))
    }

    /// Two rollovers of one root at once (two hosts): one succeeds, the other is refused,
    /// and the store holds one new key and one generation.
    static func concurrentRollovers(_ f: StoreFactory) throws {
        _ = try StoreContract.setUp(f)
        let hostA = try f.pool(), hostB = try f.pool()
        let a = admin(try hostA()), b = admin(try hostB())
        let outcomes = StoreContract.together([
            { Result { try a.rollover(name: "root", keyType: nil, days: nil) } },
            { Result { try b.rollover(name: "root", keyType: nil, days: nil) } },
        ])
        let won = outcomes.compactMap { try? $0.get() }
        XCTAssertEqual(won.count, 1, "\(outcomes)")
        for case .failure(let e) in outcomes {
            guard case .badRequest(let why)? = e as? CAError else { return XCTFail("\(e)") }
            XCTAssertTrue(why.contains("rollover in progress") || why.contains("changed meanwhile"), why)
        }
        let store = try f.makeStore()
        XCTAssertEqual(try store.caGenerations(ofCA: "root").count, 1)
        XCTAssertEqual(try store.ca(named: "root")?.certificate, won.first?.ca.certificate)
    }
}
