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

final class ServerKeyGenTests: XCTestCase {
    func testPlainAndEncryptedKeys() throws {
        let f = try Fixture()
        var p = try f.ca.requireProfile(nil)
        let boot = try f.bootstrap()
        let (template, _) = try f.csr("skg", extensions: [("subjectAltName", "DNS:skg.example")])
        XCTAssertThrowsError(try f.ca.serverKeyGen(csr: template, profile: nil, client: boot)) {
            XCTAssertEqual($0 as? CAError, .forbidden("server key generation not enabled for this profile"))
        }
        p.serverKeygen = "rsa-2048"
        try f.store.saveProfile(p, replace: true)
        let plain = try f.ca.serverKeyGen(csr: template, profile: nil, client: boot)
        guard case .pkcs8(let der) = plain.key else { return XCTFail("expected a clear key") }
        XCTAssertTrue(try PrivateKey(der: der).matches(plain.certificate.publicKey))
        XCTAssertEqual(plain.certificate.publicKey.algorithm, .rsa(bits: 2048))
        XCTAssertEqual(plain.certificate.subjectAltNameDER, template.subjectAltNameDER)
        XCTAssertNotNil(try f.store.issuedCertificate(fingerprint: plain.certificate.fingerprint.hexString), "recorded")

        // An EC client that holds its key, and a profile that always encrypts.
        let clientKey = try PrivateKey.generate(.ecP256)
        let client = try f.ca.issue(csr: try CSRBuilder.make(subject: try DistinguishedName(parsing: "CN=client"), key: clientKey),
                                    profile: try f.ca.requireProfile("factory"), requester: "t").0
        p.serverKeygenEncrypt = true
        try f.store.saveProfile(p, replace: true)
        let sealed = try f.ca.serverKeyGen(csr: template, profile: nil, client: client)
        guard case .encrypted(let env, let recipient) = sealed.key else { return XCTFail("expected an encrypted key") }
        XCTAssertEqual(recipient, "CN=client")
        let root = try XCTUnwrap(f.store.ca(named: "root")).certificate
        let (type, package) = try ServerKeyEnvelope.open(env, recipient: client, key: clientKey, anchors: [root])
        XCTAssertEqual(type, ServerKeyEnvelope.asymmetricKeyPackageOID)
        let inner = try XCTUnwrap(DER.elements(package)?.first?.content)
        XCTAssertTrue(try PrivateKey(der: inner).matches(sealed.certificate.publicKey))
        XCTAssertThrowsError(try ServerKeyEnvelope.open(env, recipient: client, key: try PrivateKey.generate(.ecP256), anchors: [root]),
                             "another key cannot open it")
    }

    func testUndeliverableKeyIssuesNothingAndSKILookup() throws {
        let f = try Fixture()
        var p = try f.ca.requireProfile(nil)
        p.serverKeygen = "ec-p256"
        try f.store.saveProfile(p, replace: true)
        let boot = try f.bootstrap()
        let key = try PrivateKey.generate(.ecP256)
        let before = try f.store.listIssued(profile: nil, defaultProfile: true, status: nil, expiringWithinDays: nil).count
        // CSRBuilder cannot add attributes; the integration suite covers the attribute path
        // with real CSRs. Here: an Ed25519 client cannot be encrypted to, and nothing is issued.
        let edKey = try PrivateKey.generate(.ed25519)
        let edClient = try f.ca.issue(csr: try CSRBuilder.make(subject: try DistinguishedName(parsing: "CN=ed"), key: edKey),
                                      profile: try f.ca.requireProfile("factory"), requester: "t").0
        p.serverKeygenEncrypt = true
        try f.store.saveProfile(p, replace: true)
        let template = try CSRBuilder.make(subject: try DistinguishedName(parsing: "CN=x"), key: key)
        XCTAssertThrowsError(try f.ca.serverKeyGen(csr: template, profile: nil, client: edClient)) {
            guard case .badRequest(let why) = $0 as? CAError else { return XCTFail("\($0)") }
            XCTAssertTrue(why.hasPrefix("cannot encrypt the key to CN=ed"), why)
        }
        XCTAssertEqual(try f.store.listIssued(profile: nil, defaultProfile: true, status: nil, expiringWithinDays: nil).count, before)
        XCTAssertEqual(try f.store.certificate(keyIdentifier: try XCTUnwrap(boot.subjectKeyIdentifier))?.der, boot.der)
        XCTAssertNil(try f.store.certificate(keyIdentifier: Data(repeating: 7, count: 20)))
    }
}

final class CSRAttributesTests: XCTestCase {
    func testEncodingFollowsRFC7030Example() throws {
        XCTAssertNil(try CSRAttributes.encode([]))
        let der = try XCTUnwrap(CSRAttributes.encode(["challengePassword", "ec-p384", "san-dns", "ecdsa-with-SHA384"]))
        let items = try XCTUnwrap(DER.elements(try XCTUnwrap(DER.elements(der)?.first).content))
        XCTAssertEqual(items.count, 4)
        XCTAssertEqual(DER.oidString(items[0].encoded), "1.2.840.113549.1.9.7")
        // Attribute { id-ecPublicKey, SET { secp384r1 } }
        let ec = try XCTUnwrap(DER.elements(items[1].content))
        XCTAssertEqual(DER.oidString(ec[0].encoded), "1.2.840.10045.2.1")
        XCTAssertEqual(ec[1].tag, 0x31)
        XCTAssertEqual(DER.oidString(try XCTUnwrap(DER.elements(ec[1].content)?.first).encoded), "1.3.132.0.34")
        XCTAssertEqual(DER.oidString(items[2].encoded), "1.2.840.10045.4.3.3")
        let ext = try XCTUnwrap(DER.elements(items[3].content))
        XCTAssertEqual(DER.oidString(ext[0].encoded), "1.2.840.113549.1.9.14")
        XCTAssertThrowsError(try CSRAttributes.validate(["nonsense"]))
    }

    func testEnforcement() throws {
        let p384 = try PrivateKey.generate(.ecP384)
        let ok = try CSRBuilder.make(subject: try DistinguishedName(parsing: "CN=d,serialNumber=42"), key: p384,
                                     extensions: [("subjectAltName", "DNS:d.example")])
        XCTAssertNoThrow(try CSRAttributes.enforce(["ec-p384", "ecdsa-with-SHA384", "san-dns", "serialNumber"], on: ok, checkKey: true))
        XCTAssertThrowsError(try CSRAttributes.enforce(["san-ip"], on: ok, checkKey: true))
        XCTAssertThrowsError(try CSRAttributes.enforce(["challengePassword"], on: ok, checkKey: true)) {
            XCTAssertEqual($0 as? CAError, .badRequest("CSR lacks challengePassword, required by this profile (csrattrs)"))
        }
        XCTAssertThrowsError(try CSRAttributes.enforce(["ec-p256"], on: ok, checkKey: true))
        XCTAssertNoThrow(try CSRAttributes.enforce(["ec-p256"], on: ok, checkKey: false), "serverkeygen ignores the CSR key")
    }
}
