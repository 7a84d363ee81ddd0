import ESTCA
import ESTOpenSSL
import Foundation
import XCTest

/// A real SQLite store in a temporary directory with root -> issuing and a factory CA.
final class Fixture {
    let dir: URL
    let store: SQLiteCAStore
    var clock = Date()
    lazy var ca = CertificateAuthority(store: store, now: { [unowned self] in self.clock })

    init() throws {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("estfcgi-ca-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        store = try SQLiteCAStore(path: dir.appendingPathComponent("ca.db").path, create: true, passphrase: "test passphrase")
        try store.createCA(name: "root", subject: "CN=Root", keyType: .ecP256, days: 100, issuer: nil, pathLength: nil)
        try store.createCA(name: "issuing", subject: "CN=Issuing", keyType: .ecP256, days: 50, issuer: "root", pathLength: 0)
        try store.createCA(name: "factory", subject: "CN=Factory", keyType: .ecP256, days: 100, issuer: nil, pathLength: nil)
        var factory = Profile(label: "factory", issuer: "factory")
        factory.validityDays = 90
        try store.saveProfile(factory, replace: false)
        var def = Profile(label: nil, issuer: "issuing")
        def.trust = ["factory"]
        try store.saveProfile(def, replace: false)
    }

    deinit { try? FileManager.default.removeItem(at: dir) }

    func csr(_ cn: String, key: KeyType = .ecP256, extensions: [(String, String)] = []) throws -> (CertificateSigningRequest, PrivateKey) {
        let k = try PrivateKey.generate(key)
        return (try CSRBuilder.make(subject: try DistinguishedName(parsing: "CN=\(cn)"), key: k, extensions: extensions), k)
    }

    /// A bootstrap certificate from the factory CA, recorded under profile "factory".
    func bootstrap(_ cn: String = "boot") throws -> Certificate {
        try ca.issue(csr: try csr(cn).0, profile: try ca.requireProfile("factory"), requester: "test").0
    }
}

final class IssuancePolicyTests: XCTestCase {
    func testCSRAskingForCAGetsAnEndEntity() throws {
        let f = try Fixture()
        let (csr, _) = try f.csr("wants-ca", extensions: [("basicConstraints", "critical,CA:TRUE"),
                                                          ("keyUsage", "critical,keyCertSign,cRLSign"),
                                                          ("subjectAltName", "DNS:a.example")])
        let (cert, record) = try f.ca.issue(csr: csr, profile: try f.ca.requireProfile(nil), requester: "t")
        XCTAssertFalse(cert.isCA)
        XCTAssertFalse(cert.keyUsageText.contains("Certificate Sign"))
        XCTAssertEqual(cert.subjectAltNameDER, csr.subjectAltNameDER)
        XCTAssertEqual(record.serial, cert.serialHex)
        XCTAssertEqual(try f.store.issuedCertificate(fingerprint: cert.fingerprint.hexString)?.status, "valid",
                       "recorded before returned")
    }

    func testNotAfterIsCappedByTheIssuer() throws {
        let f = try Fixture()
        let cert = try f.ca.issue(csr: try f.csr("long").0, profile: try f.ca.requireProfile(nil), requester: "t").0
        let issuer = try XCTUnwrap(f.store.ca(named: "issuing")).certificate
        XCTAssertEqual(cert.notAfter, issuer.notAfter, "365-day profile under a 50-day CA")
    }

    func testKeyPolicy() throws {
        XCTAssertThrowsError(try IssuancePolicy.checkKey(.rsa(bits: 1024), allowed: []))
        XCTAssertThrowsError(try IssuancePolicy.checkKey(.ec(curve: "secp256k1"), allowed: []))
        XCTAssertThrowsError(try IssuancePolicy.checkKey(.other("DSA 2048"), allowed: []))
        XCTAssertNoThrow(try IssuancePolicy.checkKey(.rsa(bits: 3072), allowed: ["rsa"]))
        XCTAssertNoThrow(try IssuancePolicy.checkKey(.ec(curve: "secp384r1"), allowed: ["ec"]))
        XCTAssertThrowsError(try IssuancePolicy.checkKey(.ec(curve: "secp384r1"), allowed: ["ec-p256"]))
        XCTAssertNoThrow(try IssuancePolicy.checkKey(.ed25519, allowed: []))
        XCTAssertEqual(IssuancePolicy.keyUsage(for: .rsa(bits: 2048)), ["digitalSignature", "keyEncipherment"])
        XCTAssertEqual(IssuancePolicy.keyUsage(for: .ed25519), ["digitalSignature"])
    }

    func testThousandSerialsAreUnique() throws {
        let f = try Fixture()
        let (csr, _) = try f.csr("bulk")
        let profile = try f.ca.requireProfile(nil)
        var serials = Set<String>()
        for _ in 0..<1000 { serials.insert(try f.ca.issue(csr: csr, profile: profile, requester: "t").1.serial) }
        XCTAssertEqual(serials.count, 1000)
        XCTAssertEqual(try f.store.listIssued(profile: nil, defaultProfile: true, status: nil, expiringWithinDays: nil).count, 1000)
    }
}

final class EnrollmentTests: XCTestCase {
    func testEnrollNeedsATrustedUnrevokedClient() throws {
        let f = try Fixture()
        let (csr, _) = try f.csr("dev")
        XCTAssertThrowsError(try f.ca.enroll(csr: csr, profile: nil, client: nil)) { XCTAssertEqual($0 as? CAError, .unauthenticated("client certificate required")) }
        let boot = try f.bootstrap()
        XCTAssertNoThrow(try f.ca.enroll(csr: csr, profile: nil, client: boot))
        // A certificate from a CA the profile does not trust.
        let dev = try f.ca.enroll(csr: csr, profile: nil, client: boot)
        XCTAssertThrowsError(try f.ca.enroll(csr: csr, profile: nil, client: dev)) {
            guard case .forbidden = $0 as? CAError else { return XCTFail("\($0)") }
        }
        try f.store.revoke(serial: boot.serialHex, reason: .keyCompromise)
        XCTAssertThrowsError(try f.ca.enroll(csr: csr, profile: nil, client: boot)) {
            XCTAssertEqual($0 as? CAError, .forbidden("client certificate is revoked"))
        }
        XCTAssertThrowsError(try f.ca.enroll(csr: csr, profile: "nope", client: boot)) {
            guard case .notFound = $0 as? CAError else { return XCTFail("\($0)") }
        }
    }

    func testReenrollRules() throws {
        let f = try Fixture()
        var p = try f.ca.requireProfile(nil)
        p.reenrollWindowDays = 10
        p.validityDays = 30
        p.revokeOnReenroll = true
        try f.store.saveProfile(p, replace: true)
        let (csr, _) = try f.csr("dev", extensions: [("subjectAltName", "DNS:dev.example")])
        let dev = try f.ca.enroll(csr: csr, profile: nil, client: try f.bootstrap())

        let (rekey, _) = try f.csr("dev", key: .ecP384, extensions: [("subjectAltName", "DNS:dev.example")])
        XCTAssertThrowsError(try f.ca.reenroll(csr: rekey, profile: nil, client: dev)) {
            XCTAssertTrue(($0 as? CAError)?.reason.hasPrefix("renewal window not open") == true, "\($0)")
        }
        f.clock = Date() + 86400 * 25  // inside the last 10 days
        let (otherSubject, _) = try f.csr("someone-else", extensions: [("subjectAltName", "DNS:dev.example")])
        XCTAssertThrowsError(try f.ca.reenroll(csr: otherSubject, profile: nil, client: dev))
        let (otherSAN, _) = try f.csr("dev", extensions: [("subjectAltName", "DNS:other.example")])
        XCTAssertThrowsError(try f.ca.reenroll(csr: otherSAN, profile: nil, client: dev))
        let renewed = try f.ca.reenroll(csr: rekey, profile: nil, client: dev)
        XCTAssertEqual(renewed.subject, dev.subject)
        let old = try XCTUnwrap(f.store.issuedCertificate(fingerprint: dev.fingerprint.hexString))
        XCTAssertEqual(old.status, "revoked")
        XCTAssertEqual(old.revocationReason, "superseded")
        XCTAssertEqual(try f.store.issuedCertificate(fingerprint: renewed.fingerprint.hexString)?.replacesSerial, dev.serialHex)
        XCTAssertThrowsError(try f.ca.reenroll(csr: rekey, profile: nil, client: dev), "superseded cannot renew again")

        f.clock = renewed.notAfter + 1
        XCTAssertThrowsError(try f.ca.reenroll(csr: rekey, profile: nil, client: renewed)) {
            XCTAssertEqual($0 as? CAError, .forbidden("client certificate is expired or not yet valid"))
        }
        f.clock = Date() + 86400 * 25
        XCTAssertThrowsError(try f.ca.reenroll(csr: rekey, profile: "factory", client: renewed)) {
            guard case .forbidden = $0 as? CAError else { return XCTFail("\($0)") }
        }
    }

    func testCACertsDefaultsToTheIssuerChain() throws {
        let f = try Fixture()
        XCTAssertEqual(try f.ca.caCertificates(profile: nil).map(\.subject.string), ["CN=Issuing", "CN=Root"])
        var p = try f.ca.requireProfile(nil)
        p.cacerts = ["root"]
        try f.store.saveProfile(p, replace: true)
        XCTAssertEqual(try f.ca.caCertificates(profile: nil).map(\.subject.string), ["CN=Root"])
    }

    func testProfileLabels() {
        XCTAssertNoThrow(try Profile.validate(label: "iot-fleet_2.v1"))
        for bad in ["", "simpleenroll", "cacerts", "a/b", "ü", String(repeating: "a", count: 65), ".."] {
            XCTAssertThrowsError(try Profile.validate(label: bad), bad)
        }
    }

    func testSerialNormalisation() {
        XCTAssertEqual(Serial.normalize("00:AB:cd"), "abcd")
        XCTAssertEqual(Serial.normalize("0000"), "0")
        XCTAssertNil(Serial.normalize("xyz"))
        XCTAssertNil(Serial.normalize(""))
    }
}
