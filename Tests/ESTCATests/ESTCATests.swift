import ESTCA
import ESTCore
import ESTOpenSSL
import ESTSQLiteStore
import Foundation
import XCTest

/// A real SQLite store in a temporary directory with root -> issuing and a factory CA.
final class Fixture {
    let dir: URL
    let store: SQLiteCAStore
    let keyring = CAKeyring(passphrase: "test passphrase")
    var clock = Date()
    lazy var ca = CertificateAuthority(store: store, keyring: keyring, now: { [unowned self] in self.clock })
    lazy var admin = CAAdministration(ca)

    init() throws {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("estfcgi-ca-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        store = try SQLiteCAStore(path: dir.appendingPathComponent("ca.db").path, create: true)
        try admin.createCA(name: "root", subject: "CN=Root", keyType: .ecP256, days: 100, issuer: nil, pathLength: nil)
        try admin.createCA(name: "issuing", subject: "CN=Issuing", keyType: .ecP256, days: 50, issuer: "root", pathLength: 0)
        try admin.createCA(name: "factory", subject: "CN=Factory", keyType: .ecP256, days: 100, issuer: nil, pathLength: nil)
        var factory = Profile(label: "factory", issuer: "factory")
        factory.validityDays = 90
        try admin.saveProfile(factory, replace: false)
        var def = Profile(label: nil, issuer: "issuing")
        def.trust = ["factory"]
        try admin.saveProfile(def, replace: false)
    }

    func issuedCount(_ filter: CertificateFilter = CertificateFilter(profile: .defaultProfile)) throws -> Int {
        try store.issuedCertificates(matching: filter, now: clock).count
    }

    deinit { try? FileManager.default.removeItem(at: dir) }

    func csr(_ cn: String, key: KeyType = .ecP256, extensions: [(String, String)] = []) throws -> (CertificateSigningRequest, PrivateKey) {
        let k = try PrivateKey.generate(key)
        return (try CSRBuilder.make(subject: try DistinguishedName(parsing: "CN=\(cn)"), key: k, extensions: extensions), k)
    }

    /// A bootstrap certificate from the factory CA, recorded under profile "factory".
    func bootstrap(_ cn: String = "boot") throws -> Certificate {
        try ca.issue(csr: try csr(cn).0, profile: try ca.requireProfile("factory"), requester: "test", audit: nil).0
    }
}

final class IssuancePolicyTests: XCTestCase {
    func testCSRAskingForCAGetsAnEndEntity() throws {
        let f = try Fixture()
        let (csr, _) = try f.csr("wants-ca", extensions: [("basicConstraints", "critical,CA:TRUE"),
                                                          ("keyUsage", "critical,keyCertSign,cRLSign"),
                                                          ("subjectAltName", "DNS:a.example")])
        let (cert, record) = try f.ca.issue(csr: csr, profile: try f.ca.requireProfile(nil), requester: "t", audit: nil)
        XCTAssertFalse(cert.isCA)
        XCTAssertFalse(cert.keyUsage?.contains(.keyCertSign) ?? true)
        XCTAssertEqual(cert.subjectAltNameDER, csr.subjectAltNameDER)
        XCTAssertEqual(record.serial, cert.serialHex)
        XCTAssertEqual(try f.store.issuedCertificate(fingerprint: cert.fingerprint.hexString)?.status, .valid,
                       "recorded before returned")
    }

    func testNotAfterIsCappedByTheIssuer() throws {
        let f = try Fixture()
        let cert = try f.ca.issue(csr: try f.csr("long").0, profile: try f.ca.requireProfile(nil), requester: "t", audit: nil).0
        let issuer = try XCTUnwrap(f.store.ca(named: "issuing")).certificate
        XCTAssertEqual(cert.notAfter, issuer.notAfter, "365-day profile under a 50-day CA")
    }

    func testKeyPolicy() throws {
        let cases: [(name: String, key: KeyAlgorithm, allowed: [KeyTypeRule], accepted: Bool)] = [
            ("RSA-1024 is too small", .rsa(bits: 1024), [], false),
            ("RSA-16384 is too large", .rsa(bits: 16384), [], false),
            ("secp256k1 is not a curve we certify", .ec(curve: "secp256k1"), [], false),
            ("DSA is refused", .other("DSA 2048"), [], false),
            ("RSA-3072 under the rsa family", .rsa(bits: 3072), [.rsa], true),
            ("P-384 under the ec family", .ec(curve: "secp384r1"), [.ec], true),
            ("P-384 where only P-256 is allowed", .ec(curve: "secp384r1"), [.exact(.ecP256)], false),
            ("Ed25519 with no narrowing", .ed25519, [], true),
            ("Ed25519 under the ec family", .ed25519, [.ec], false),
        ]
        for c in cases {
            if c.accepted { XCTAssertNoThrow(try IssuancePolicy.checkKey(c.key, allowed: c.allowed), c.name) }
            else { XCTAssertThrowsError(try IssuancePolicy.checkKey(c.key, allowed: c.allowed), c.name) }
        }
        XCTAssertEqual(IssuancePolicy.keyUsage(for: .rsa(bits: 2048)), [.digitalSignature, .keyEncipherment])
        XCTAssertEqual(IssuancePolicy.keyUsage(for: .ed25519), [.digitalSignature])
    }

    func testThousandSerialsAreUnique() throws {
        let f = try Fixture()
        let (csr, _) = try f.csr("bulk")
        let profile = try f.ca.requireProfile(nil)
        var serials = Set<String>()
        for _ in 0..<1000 { serials.insert(try f.ca.issue(csr: csr, profile: profile, requester: "t", audit: nil).1.serial) }
        XCTAssertEqual(serials.count, 1000)
        XCTAssertEqual(try f.issuedCount(), 1000)
    }
}

final class EnrollmentTests: XCTestCase {
    func testEnrollNeedsATrustedUnrevokedClient() throws {
        let f = try Fixture()
        let (csr, _) = try f.csr("dev")
        let boot = try f.bootstrap()
        XCTAssertNoThrow(try f.ca.enroll(csr: csr, profile: nil, client: boot))
        // A certificate from a CA the profile does not trust.
        let dev = try f.ca.enroll(csr: csr, profile: nil, client: boot)
        XCTAssertThrowsError(try f.ca.enroll(csr: csr, profile: nil, client: dev)) {
            // 403, and not audited: an untrusted certificate costs its sender nothing.
            guard case .untrusted = $0 as? CAError else { return XCTFail("\($0)") }
            XCTAssertEqual(($0 as? CAError)?.httpStatus, 403)
            XCTAssertEqual(($0 as? CAError)?.recordsAudit, false)
        }
        try f.admin.revoke(serial: boot.serialHex, reason: .keyCompromise)
        XCTAssertThrowsError(try f.ca.enroll(csr: csr, profile: nil, client: boot)) {
            XCTAssertEqual($0 as? CAError, .forbidden("client certificate is revoked"))
        }
        XCTAssertThrowsError(try f.ca.enroll(csr: csr, profile: "nope", client: boot)) {
            guard case .notFound = $0 as? CAError else { return XCTFail("\($0)") }
        }
    }

    /// RFC 7030 §4.2.2 and the profile's renewal rules, one named case each. The cases run
    /// in order on one device: the last ones act on what the earlier ones left.
    func testReenrollRules() throws {
        let f = try Fixture()
        var p = try f.ca.requireProfile(nil)
        p.reenrollWindowDays = 10
        p.validityDays = 30
        p.revokeOnReenroll = true
        try f.admin.saveProfile(p, replace: true)
        let start = f.clock
        let dev = try f.ca.enroll(csr: try f.csr("dev", extensions: [("subjectAltName", "DNS:dev.example")]).0,
                                  profile: nil, client: try f.bootstrap())
        let rekey = try f.csr("dev", key: .ecP384, extensions: [("subjectAltName", "DNS:dev.example")]).0
        let otherSubject = try f.csr("someone-else", extensions: [("subjectAltName", "DNS:dev.example")]).0
        let otherSAN = try f.csr("dev", extensions: [("subjectAltName", "DNS:other.example")]).0
        let inWindow = start + .days(25)  // inside the last 10 of 30 days
        var renewed: Certificate? = nil

        enum Expect { case issued, refused(String) }
        let cases: [(name: String, at: Date, csr: CertificateSigningRequest, client: () throws -> Certificate,
                     profile: String?, expect: Expect)] = [
            ("before the renewal window", start, rekey, { dev }, nil, .refused("renewal window not open")),
            ("another subject (§4.2.2)", inWindow, otherSubject, { dev }, nil,
             .refused("re-enrollment CSR subject differs from the current certificate (RFC 7030 §4.2.2)")),
            ("another subjectAltName (§4.2.2)", inWindow, otherSAN, { dev }, nil,
             .refused("re-enrollment CSR subjectAltName differs from the current certificate (RFC 7030 §4.2.2)")),
            ("a rekey inside the window", inWindow, rekey, { dev }, nil, .issued),
            ("the superseded certificate again", inWindow, rekey, { dev }, nil, .refused("certificate already renewed")),
            ("an expired certificate", dev.notAfter + .days(31), rekey, { try XCTUnwrap(renewed) }, nil,
             .refused("client certificate is expired or not yet valid")),
            ("under another profile", inWindow, rekey, { try XCTUnwrap(renewed) }, "factory",
             .refused("client certificate belongs to profile (default), not factory")),
            ("a bootstrap certificate (issued under another profile)", inWindow, rekey, { try f.bootstrap() }, nil,
             .refused("client certificate belongs to profile factory, not (default)")),
        ]
        for c in cases {
            f.clock = c.at
            let request = ReenrollmentRequest(csr: c.csr, current: try c.client())
            switch c.expect {
            case .issued:
                let cert = try f.ca.reenroll(request, profile: c.profile)
                XCTAssertEqual(cert.subject, dev.subject, c.name)
                renewed = cert
            case .refused(let reason):
                XCTAssertThrowsError(try f.ca.reenroll(request, profile: c.profile), c.name) {
                    XCTAssertTrue(($0 as? ESTStatusError)?.reason.hasPrefix(reason) == true, "\(c.name): \($0)")
                }
            }
        }
        let old = try XCTUnwrap(f.store.issuedCertificate(fingerprint: dev.fingerprint.hexString))
        XCTAssertEqual(old.status, .revoked)
        XCTAssertEqual(old.revocationReason, .superseded)
        XCTAssertEqual(try f.store.issuedCertificate(fingerprint: try XCTUnwrap(renewed).fingerprint.hexString)?.replacesSerial,
                       dev.serialHex)
    }

    func testCACertsDefaultsToTheIssuerChain() throws {
        let f = try Fixture()
        XCTAssertEqual(try f.ca.caCertificates(profile: nil).map(\.subject.string), ["CN=Issuing", "CN=Root"])
        var p = try f.ca.requireProfile(nil)
        p.cacerts = ["root"]
        try f.admin.saveProfile(p, replace: true)
        XCTAssertEqual(try f.ca.caCertificates(profile: nil).map(\.subject.string), ["CN=Root"])
    }

    func testSerialNormalisation() {
        XCTAssertEqual(Serial.normalize("00:AB:cd"), "abcd")
        XCTAssertEqual(Serial.normalize("0000"), "0")
        XCTAssertNil(Serial.normalize("xyz"))
        XCTAssertNil(Serial.normalize(""))
        // Character.isHexDigit takes fullwidth digits (an IME's): a denial or lookup keyed by
        // them would match no certificate's (ASCII) serial or fingerprint, silently.
        XCTAssertNil(Serial.normalize("\u{FF11}\u{FF12}ab"))
        XCTAssertNil(Serial.normalize("0a\u{301}"))
        XCTAssertThrowsError(try BootstrapDenial.key(parsing: "\u{FF11}\u{FF12}"))
        XCTAssertThrowsError(try BootstrapDenial.key(parsing: String(repeating: "\u{FF41}", count: 64)))
        XCTAssertEqual(try BootstrapDenial.key(parsing: String(repeating: "A", count: 64)), .fingerprint(String(repeating: "a", count: 64)))
    }
}

final class ServerKeyGenTests: XCTestCase {
    func testPlainAndEncryptedKeys() throws {
        let f = try Fixture()
        var p = try f.ca.requireProfile(nil)
        let boot = try f.bootstrap()
        let (template, _) = try f.csr("skg", extensions: [("subjectAltName", "DNS:skg.example")])
        XCTAssertThrowsError(try f.ca.serverKeyGen(ServerKeyGenRequest(template: template, encryptTo: nil), profile: nil, client: boot)) {
            XCTAssertEqual($0 as? CAError, .forbidden("server key generation not enabled for this profile"))
        }
        p.serverKeygen = .rsa2048
        try f.admin.saveProfile(p, replace: true)
        let plain = try f.ca.serverKeyGen(ServerKeyGenRequest(template: template, encryptTo: nil), profile: nil, client: boot)
        guard case .pkcs8(let der) = plain.key else { return XCTFail("expected a clear key") }
        XCTAssertTrue(try PrivateKey(der: der).matches(plain.certificate.publicKey))
        XCTAssertEqual(plain.certificate.publicKey.algorithm, .rsa(bits: 2048))
        XCTAssertEqual(plain.certificate.subjectAltNameDER, template.subjectAltNameDER)
        XCTAssertNotNil(try f.store.issuedCertificate(fingerprint: plain.certificate.fingerprint.hexString), "recorded")

        // An EC client that holds its key, and a profile that always encrypts.
        let clientKey = try PrivateKey.generate(.ecP256)
        let client = try f.ca.issue(csr: try CSRBuilder.make(subject: try DistinguishedName(parsing: "CN=client"), key: clientKey),
                                    profile: try f.ca.requireProfile("factory"), requester: "t", audit: nil).0
        p.serverKeygenEncrypt = true
        try f.admin.saveProfile(p, replace: true)
        let sealed = try f.ca.serverKeyGen(ServerKeyGenRequest(template: template, encryptTo: nil), profile: nil, client: client)
        guard case .encrypted(let env, let recipient) = sealed.key else { return XCTFail("expected an encrypted key") }
        XCTAssertEqual(recipient, "CN=client")
        let root = try XCTUnwrap(f.store.ca(named: "root")).certificate
        let (type, package) = try ServerKeyEnvelope.open(env, recipient: client, key: clientKey, anchors: [root])
        XCTAssertEqual(type, .asymmetricKeyPackage)
        let inner = try XCTUnwrap(DER.elements(package)?.first?.content)
        XCTAssertTrue(try PrivateKey(der: inner).matches(sealed.certificate.publicKey))
        XCTAssertThrowsError(try ServerKeyEnvelope.open(env, recipient: client, key: try PrivateKey.generate(.ecP256), anchors: [root]),
                             "another key cannot open it")
    }

    func testUndeliverableKeyIssuesNothingAndSKILookup() throws {
        let f = try Fixture()
        var p = try f.ca.requireProfile(nil)
        p.serverKeygen = .ecP256
        try f.admin.saveProfile(p, replace: true)
        let boot = try f.bootstrap()
        let key = try PrivateKey.generate(.ecP256)
        let before = try f.issuedCount()
        // CSRBuilder cannot add attributes; the integration suite covers the attribute path
        // with real CSRs. Here: an Ed25519 client cannot be encrypted to, and nothing is issued.
        let edKey = try PrivateKey.generate(.ed25519)
        let edClient = try f.ca.issue(csr: try CSRBuilder.make(subject: try DistinguishedName(parsing: "CN=ed"), key: edKey),
                                      profile: try f.ca.requireProfile("factory"), requester: "t", audit: nil).0
        p.serverKeygenEncrypt = true
        try f.admin.saveProfile(p, replace: true)
        let template = try CSRBuilder.make(subject: try DistinguishedName(parsing: "CN=x"), key: key)
        XCTAssertThrowsError(try f.ca.serverKeyGen(ServerKeyGenRequest(template: template, encryptTo: nil), profile: nil, client: edClient)) {
            guard case .badRequest(let why) = $0 as? CAError else { return XCTFail("\($0)") }
            XCTAssertTrue(why.hasPrefix("cannot encrypt the key to CN=ed"), why)
        }
        XCTAssertEqual(try f.issuedCount(), before)
        // §4.4.1.2: a recipient named by its subjectKeyIdentifier, found among issued certificates.
        p.serverKeygenEncrypt = false
        try f.admin.saveProfile(p, replace: true)
        let named = try f.ca.serverKeyGen(ServerKeyGenRequest(template: template, encryptTo: try XCTUnwrap(boot.subjectKeyIdentifier)),
                                          profile: nil, client: edClient)
        XCTAssertEqual(named.encryptedTo, boot.subject.string)
        XCTAssertThrowsError(try f.ca.serverKeyGen(ServerKeyGenRequest(template: template, encryptTo: Data(repeating: 7, count: 20)),
                                                   profile: nil, client: edClient)) {
            guard case .badRequest(let why) = $0 as? CAError else { return XCTFail("\($0)") }
            XCTAssertTrue(why.hasPrefix("no certificate with subjectKeyIdentifier 0707"), why)
        }
    }
}

final class CSRAttributesTests: XCTestCase {
    func items(_ names: [String]) throws -> [CSRAttributeItem] { try Profile.csrAttrs(parsing: names) }

    static let rfcExample = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Vectors/csrattrs/rfc7030-4.5.2.der")

    func testEncodingIsTheRFC7030ExampleByteForByte() throws {
        // RFC 7030 §4.5.2 (ASN.1 as clarified by RFC 8951 §4): challengePassword,
        // id-ecPublicKey { secp384r1 }, extensionRequest { macAddress }, ecdsa-with-SHA384.
        let expected = try Data(contentsOf: Self.rfcExample)
        let der = try XCTUnwrap(CSRAttributes.encode(try items(["challengePassword", "ec-p384", "ext:macAddress", "ecdsa-with-SHA384"])))
        XCTAssertEqual(der.hexString, expected.hexString)
        XCTAssertEqual(der.base64EncodedString(),
                       "MEEGCSqGSIb3DQEJBzASBgcqhkjOPQIBMQcGBSuBBAAiMBYGCSqGSIb3DQEJDjEJBgcrBgEBAQEWBggqhkjOPQQDAw==")
    }

    func testEncodingOfEachItemKind() throws {
        XCTAssertNil(CSRAttributes.encode([]))
        let der = try XCTUnwrap(CSRAttributes.encode(try items(["challengePassword", "ec-p384", "san-dns", "ecdsa-with-SHA384"])))
        let items = try XCTUnwrap(DER.elements(try XCTUnwrap(DER.elements(der)?.first).content))
        XCTAssertEqual(items.count, 4)
        XCTAssertEqual(DER.oid(items[0]), .challengePassword)
        // Attribute { id-ecPublicKey, SET { secp384r1 } }
        let ec = try XCTUnwrap(DER.elements(items[1].content))
        XCTAssertEqual(DER.oid(ec[0]), .idEcPublicKey)
        XCTAssertEqual(ec[1].tag, 0x31)
        XCTAssertEqual(DER.oid(try XCTUnwrap(DER.elements(ec[1].content)?.first)), .secp384r1)
        XCTAssertEqual(DER.oid(items[2]), .ecdsaWithSHA384)
        // Without an ext: item the SAN request stays last, where it always was.
        let ext = try XCTUnwrap(DER.elements(items[3].content))
        XCTAssertEqual(DER.oid(ext[0]), .extensionRequest)
        XCTAssertEqual(DER.oid(try XCTUnwrap(DER.elements(ext[1].content)?.first)), .subjectAltName)
        // rsa-3072: Attribute { rsaEncryption, SET { INTEGER 3072 } }
        let rsa = try XCTUnwrap(CSRAttributes.encode(try self.items(["rsa-3072"])))
        XCTAssertEqual(rsa.hexString, "3013" + "3011" + "06092a864886f70d010101" + "3104" + "02020c00")
    }

    func testItemsParseOnceAndRefuseNonsense() throws {
        XCTAssertEqual(try items(["san-ip", "1.2.3.4", "ed25519"]), [.subjectAltName(.iPAddress), .oid(OID("1.2.3.4")!), .keyType(.ed25519)])
        XCTAssertEqual(try items(["san", "ext:macAddress", "ext:2.5.29.37"]).map(\.description), ["san", "ext:macAddress", "ext:2.5.29.37"])
        for bad in ["nonsense", "1.٣", "1", "ext:", "ext:x", "san-x400"] {
            XCTAssertThrowsError(try items([bad]), bad)
        }
    }

    func testEnforcement() throws {
        let p384 = try PrivateKey.generate(.ecP384)
        let ok = try CSRBuilder.make(subject: try DistinguishedName(parsing: "CN=d,serialNumber=42"), key: p384,
                                     extensions: [("subjectAltName", "DNS:d.example")])
        let cases: [(name: String, items: [String], checkKey: Bool, accepted: Bool)] = [
            ("everything it has", ["ec-p384", "ecdsa-with-SHA384", "san-dns", "serialNumber"], true, true),
            ("an IP SAN it lacks", ["san-ip"], true, false),
            ("a challengePassword it lacks", ["challengePassword"], true, false),
            ("another key type", ["ec-p256"], true, false),
            ("another key type, serverkeygen ignores the CSR key", ["ec-p256"], false, true),
            ("another signature algorithm", ["ecdsa-with-SHA256"], true, false),
            ("a requested extension it has", ["ext:2.5.29.17"], true, true),
        ]
        for c in cases {
            if c.accepted {
                XCTAssertNoThrow(try CSRAttributes.enforce(try items(c.items), on: ok, checkKey: c.checkKey), c.name)
            } else {
                XCTAssertThrowsError(try CSRAttributes.enforce(try items(c.items), on: ok, checkKey: c.checkKey), c.name)
            }
        }
        XCTAssertThrowsError(try CSRAttributes.enforce(try items(["challengePassword"]), on: ok, checkKey: true)) {
            XCTAssertEqual($0 as? CAError, .badRequest("CSR lacks challengePassword, required by this profile (csrattrs)"))
        }
    }
}

final class ProfileSettingTests: XCTestCase {
    func testOIDsAreASCIIDottedDecimals() throws {
        // Defect: `1.٣` passed an isNumber check, was saved, and every issuance or
        // /csrattrs request of the profile then answered 500.
        XCTAssertThrowsError(try Profile.eku(parsing: ["1.٣"])) {
            XCTAssertEqual(($0 as? CAError)?.reason.hasPrefix("unknown extended key usage '1.٣'"), true)
        }
        XCTAssertThrowsError(try Profile.csrAttrs(parsing: ["1.٣"]))
        XCTAssertThrowsError(try Profile.eku(parsing: ["7.1"]), "first arc must be 0, 1 or 2")
        XCTAssertEqual(try Profile.eku(parsing: ["clientAuth", "1.3.6.1.5.5.7.3.17"]).map(\.oid),
                       [.clientAuth, .ipsecIKE])
        XCTAssertEqual(try Profile.keyTypes(parsing: ["ec", "rsa-3072"]), [.ec, .exact(.rsa3072)])
        XCTAssertThrowsError(try Profile.keyTypes(parsing: ["dsa"]))
        XCTAssertEqual(try Profile.serverKeygen(parsing: "none"), nil)
        XCTAssertThrowsError(try Profile.serverKeygen(parsing: "rsa-1024"))
    }
}

/// Issue 22: each key of a CA has its own CRL URL, carried by what it signs (`/crl/CA` for
/// the first key, `/crl/CA(N)` after rollovers), and the earlier key's CRL is served there.
final class KeyCRLTests: XCTestCase {
    func testEachKeyServesItsOwnCRLAtTheURLItsCertificatesCarry() throws {
        let f = try Fixture()
        var p = Profile(label: "direct", issuer: "root")
        p.trust = ["factory"]
        p.crlURL = "https://h/.well-known/est/crl/{ca}"
        try f.admin.saveProfile(p, replace: false)
        let old = try f.ca.issue(csr: try f.csr("old").0, profile: try f.ca.requireProfile("direct"), requester: "t", audit: nil).0
        XCTAssertEqual(old.crlDistributionPointURIs, ["https://h/.well-known/est/crl/root"])
        _ = try f.admin.rollover(name: "root", keyType: nil, days: 100)
        let new = try f.ca.issue(csr: try f.csr("new").0, profile: try f.ca.requireProfile("direct"), requester: "t", audit: nil).0
        XCTAssertEqual(new.crlDistributionPointURIs, ["https://h/.well-known/est/crl/root(1)"])
        for c in [old, new] { _ = try f.admin.revoke(serial: c.serialHex, reason: .keyCompromise) }
        let (record, _) = try f.admin.publishCRL(ca: "root", nextUpdateHours: 24)
        XCTAssertEqual(try f.admin.previousKeyCRLs(ca: "root", number: record.number, nextUpdateHours: 24).count, 1)
        let first = try CertificateRevocationList(der: try f.ca.crl(issuer: "root"))
        let second = try CertificateRevocationList(der: try f.ca.crl(issuer: "root(1)"))
        // The old key's lists what it signed (the old certificate only); each is signed by its key.
        XCTAssertEqual(first.entries.count, 1)
        XCTAssertEqual(second.entries.count, 2)
        let gens = try f.store.caGenerations(ofCA: "root")
        XCTAssertTrue(first.isSigned(by: gens[0].certificate))
        XCTAssertFalse(first.isSigned(by: try XCTUnwrap(try f.store.ca(named: "root")).certificate))
        XCTAssertTrue(second.isSigned(by: try XCTUnwrap(try f.store.ca(named: "root")).certificate))
        // A key the CA never had, and an unknown CA, answer alike.
        XCTAssertThrowsError(try f.ca.crl(issuer: "root(2)"))
        XCTAssertThrowsError(try f.ca.crl(issuer: "nope(1)"))
        // doctor: /crl/root(1) serves root's CRL, which its certificates carry: no FAIL.
        XCTAssertEqual(HealthCheck.caServed(at: "https://h/.well-known/est/crl/root(1)", profiles: []), "root")
    }
}
