import ESTOpenSSL
import Foundation
import XCTest

/// CA keys in a SoftHSM2 token: every signature through the token, checked by `openssl`.
final class TokenKeyTests: XCTestCase {
    private var hsm: SoftHSMFixture!

    override func setUpWithError() throws {
        hsm = try SoftHSMFixture.shared()
    }

    override class func tearDown() {
        SoftHSMFixture.removeStore()
        super.tearDown()
    }

    private func tokenKey(_ object: String, token: String = "estca", pin: String = SoftHSMFixture.pin) throws -> PrivateKey {
        try PrivateKey.token(uri: try PKCS11URI("pkcs11:token=\(token);object=\(object)"), module: SoftHSMFixture.module, pin: pin)
    }

    private static func selfSigned(_ key: PrivateKey, cn: String,
                                   keyUsage: KeyUsage = [.keyCertSign, .cRLSign]) throws -> Certificate {
        try CertificateSigner.sign(CertificateTemplate(
            subject: try DistinguishedName(parsing: "CN=\(cn),O=Example"), publicKey: try key.publicKey,
            serial: try CertificateTemplate.randomSerial(), notBefore: Date() - 3600, notAfter: Date() + 86400,
            isCA: true, keyUsage: keyUsage), issuer: nil, issuerKey: key)
    }

    private static func leaf(_ ca: Certificate, _ key: PrivateKey, cn: String) throws -> Certificate {
        try CertificateSigner.sign(CertificateTemplate(
            subject: try DistinguishedName(parsing: "CN=\(cn)"), publicKey: try PrivateKey.generate(.ecP256).publicKey,
            serial: try CertificateTemplate.randomSerial(), notBefore: Date() - 3600, notAfter: Date() + 3600,
            isCA: false, keyUsage: [.digitalSignature], extendedKeyUsage: [.clientAuth]), issuer: ca, issuerKey: key)
    }

    private func openssl(_ arguments: [String]) throws -> String {
        try SoftHSMFixture.run("/usr/bin/openssl", arguments, in: hsm.directory)
    }

    private func write(_ text: String, _ name: String) throws {
        try text.write(to: hsm.directory.appendingPathComponent(name), atomically: true, encoding: .utf8)
    }

    /// A CA certificate, a leaf and a CRL signed by the token key, verified by `openssl`.
    private func signAndVerify(object: String, expect algorithm: KeyAlgorithm) throws {
        let key = try tokenKey(object)
        XCTAssertEqual(key.algorithm, algorithm)
        let ca = try Self.selfSigned(key, cn: "Token CA \(object)")
        XCTAssertTrue(try key.matches(certificate: ca))
        let leaf = try Self.leaf(ca, key, cn: "device-\(object)")
        let crl = try CRLSigner.sign(CRLTemplate(number: 1, thisUpdate: Date() - 60, nextUpdate: Date() + 3600,
                                                 entries: [RevokedEntry(serial: Data([7]), revokedAt: Date() - 30)]),
                                     issuer: ca, issuerKey: key)
        try write(ca.pem, "\(object)-ca.pem")
        try write(leaf.pem, "\(object)-leaf.pem")
        try write(crl.pem, "\(object)-crl.pem")
        XCTAssertTrue(try openssl(["verify", "-CAfile", "\(object)-ca.pem", "\(object)-leaf.pem"]).contains("OK"))
        XCTAssertTrue(try openssl(["crl", "-in", "\(object)-crl.pem", "-CAfile", "\(object)-ca.pem", "-noout"]).contains("verify OK"))
        XCTAssertThrowsError(try key.pkcs8DER(), "the key never leaves the token")
        XCTAssertThrowsError(try key.encryptedPKCS8PEM(passphrase: "x"))
        XCTAssertEqual(key.tokenURI?.object, object)
    }

    func testECTokenKeySignsCertificatesAndCRLs() throws {
        try signAndVerify(object: "ec", expect: .ec(curve: "prime256v1"))
    }

    func testRSATokenKeySignsCertificatesAndCRLs() throws {
        try signAndVerify(object: "rsa", expect: .rsa(bits: 2048))
    }

    /// CMS SignedData (serverkeygen's, RFC 7030 §4.4.2) signed by the token key.
    func testCMSSignedByTokenKey() throws {
        for object in ["ec", "rsa"] {
            let key = try tokenKey(object)
            let ca = try Self.selfSigned(key, cn: "CMS \(object)", keyUsage: [.digitalSignature, .keyCertSign, .cRLSign])
            let deviceKey = try PrivateKey.generate(.ecP256)
            let device = try CertificateSigner.sign(CertificateTemplate(
                subject: try DistinguishedName(parsing: "CN=device"), publicKey: try deviceKey.publicKey,
                serial: try CertificateTemplate.randomSerial(), notBefore: Date() - 60, notAfter: Date() + 3600,
                isCA: false, keyUsage: [.digitalSignature, .keyAgreement]), issuer: ca, issuerKey: key)
            let payload = try PrivateKey.generate(.ecP256).pkcs8DER()
            let sealed = try ServerKeyEnvelope.seal(privateKeyInfo: payload, signer: ca, signerKey: key, chain: [], recipient: device)
            let (type, content) = try ServerKeyEnvelope.open(sealed, recipient: device, key: deviceKey, anchors: [ca])
            XCTAssertEqual(type, .asymmetricKeyPackage, object)
            XCTAssertEqual(content, DER.sequence([payload]), object)
        }
    }

    /// A label with URI delimiters reaches libp11 percent-encoded, and matches.
    func testFindsKeyWhoseLabelNeedsEncoding() throws {
        let uri = PKCS11URI(token: "estca", object: "CA key;1%")
        XCTAssertEqual(uri.description, "pkcs11:token=estca;object=CA%20key%3B1%25")
        let key = try PrivateKey.token(uri: try PKCS11URI(uri.description), module: SoftHSMFixture.module, pin: SoftHSMFixture.pin)
        XCTAssertTrue(try key.matches(certificate: try Self.selfSigned(key, cn: "Encoded")))
        XCTAssertFalse(try key.matches(certificate: try Self.selfSigned(try tokenKey("ec"), cn: "Other")))
    }

    /// The module named by another path to the same file (Debian's symlink and its target).
    func testSameModuleByAnotherPath() throws {
        let target = URL(fileURLWithPath: SoftHSMFixture.module).resolvingSymlinksInPath().path
        XCTAssertNotEqual(target, SoftHSMFixture.module)
        let key = try PrivateKey.token(uri: try PKCS11URI("pkcs11:token=estca;object=ec"), module: target, pin: SoftHSMFixture.pin)
        XCTAssertTrue(try key.matches(certificate: try Self.selfSigned(try tokenKey("ec"), cn: "Same key")))
    }

    /// libp11's engine drives one module per process: another module file is refused, clearly.
    func testSecondModuleRefused() throws {
        _ = try tokenKey("ec")
        let copy = hsm.directory.appendingPathComponent("copy-of-softhsm.so")
        if !FileManager.default.fileExists(atPath: copy.path) {
            try FileManager.default.copyItem(atPath: URL(fileURLWithPath: SoftHSMFixture.module).resolvingSymlinksInPath().path, toPath: copy.path)
        }
        XCTAssertThrowsError(try PrivateKey.token(uri: try PKCS11URI("pkcs11:token=estca;object=ec"), module: copy.path, pin: SoftHSMFixture.pin)) { error in
            guard case PKCS11Error.moduleNotLoadable(_, let reason) = error else { return XCTFail("\(error)") }
            XCTAssertTrue(reason.contains("one module per process"), reason)
        }
        XCTAssertEqual(try tokenKey("ec").algorithm, .ec(curve: "prime256v1"))
    }

    func testFindsKeyByID() throws {
        let key = try PrivateKey.token(uri: try PKCS11URI("pkcs11:token=estca;id=%02"), module: SoftHSMFixture.module, pin: SoftHSMFixture.pin)
        XCTAssertEqual(key.algorithm, .rsa(bits: 2048))
    }

    /// 8 threads signing at once with one token key (each of both types), all signatures good,
    /// while a ninth loads keys.
    func testEightThreadsSignAtOnce() throws {
        for object in ["ec", "rsa"] {
            let key = try tokenKey(object)
            let ca = try Self.selfSigned(key, cn: "Threads \(object)")
            let failures = Failures()
            DispatchQueue.concurrentPerform(iterations: 9) { i in
                if i == 8 {
                    // Keys loaded (logging in again) while the others sign.
                    for _ in 0..<5 {
                        do { _ = try PrivateKey.token(uri: try PKCS11URI("pkcs11:token=estca;id=%03"), module: SoftHSMFixture.module,
                                                      pin: SoftHSMFixture.pin) } catch { failures.add("load: \(error)") }
                    }
                    return
                }
                for n in 0..<25 {
                    do {
                        let cert = try TokenKeyTests.leaf(ca, key, cn: "t\(i)-\(n)")
                        if !cert.isSigned(by: ca) { failures.add("t\(i)-\(n): bad signature") }
                    } catch {
                        failures.add("t\(i)-\(n): \(error)")
                    }
                }
            }
            XCTAssertEqual(failures.all, [], object)
        }
    }

    /// CGI mode: fresh processes (this test binary again, running `testChildProcessSigns`)
    /// load the token key and sign all at once, while this process signs with it too; and
    /// OpenSSL's own command, serialised with them by `flock` on the module file.
    func testProcessesShareTheToken() throws {
        let key = try tokenKey("ec")
        var me = ProcessInfo.processInfo.arguments[0]
        if !me.hasPrefix("/") { me = FileManager.default.currentDirectoryPath + "/" + me }
        let children = try (0..<8).map { n in
            try SoftHSMFixture.start(me, ["ESTOpenSSLTests.TokenKeyTests/testChildProcessSigns"],
                                     environment: [SoftHSMFixture.childVariable: hsm.directory.path, Self.childOutput: "child\(n).pem"])
        }
        let uri = "pkcs11:token=estca;object=ec;type=private;pin-value=\(SoftHSMFixture.pin)"
        let tools = try (0..<2).map { n in
            try SoftHSMFixture.start("/usr/bin/flock", [SoftHSMFixture.module, "/usr/bin/openssl", "req", "-new", "-x509",
                                                        "-engine", "pkcs11", "-keyform", "engine", "-key", uri,
                                                        "-subj", "/CN=tool\(n)", "-days", "1", "-out", "tool\(n).pem"],
                                     in: hsm.directory)
        }
        let ca = try Self.selfSigned(key, cn: "Parent")
        for n in 0..<30 { XCTAssertTrue(try Self.leaf(ca, key, cn: "p\(n)").isSigned(by: ca)) }
        for (name, process) in children.enumerated().map({ ("child\($0)", $1) }) + tools.enumerated().map({ ("tool\($0)", $1) }) {
            let (status, output) = process.wait()
            XCTAssertEqual(status, 0, "\(name): \(output.suffix(2000))")
            let pem = try String(contentsOf: hsm.directory.appendingPathComponent("\(name).pem"), encoding: .utf8)
            let cert = try Certificate(pem: pem)
            XCTAssertTrue(cert.isSigned(by: cert), "\(name) signed with the token key")
            XCTAssertTrue(try key.matches(certificate: cert), name)
        }
    }

    /// A process whose OpenSSL finds no pkcs11 engine (OPENSSL_ENGINES elsewhere) says so.
    func testEngineNotInstalled() throws {
        var me = ProcessInfo.processInfo.arguments[0]
        if !me.hasPrefix("/") { me = FileManager.default.currentDirectoryPath + "/" + me }
        let child = try SoftHSMFixture.start(me, ["ESTOpenSSLTests.TokenKeyTests/testChildProcessSigns"],
                                             environment: [SoftHSMFixture.childVariable: hsm.directory.path, Self.childOutput: "engine",
                                                           "OPENSSL_ENGINES": hsm.directory.path])
        let (status, output) = child.wait()
        XCTAssertEqual(status, 0, String(output.suffix(2000)))
        XCTAssertTrue(output.contains("Executed 1 test, with 0 failures"), String(output.suffix(2000)))
    }

    static let childOutput = "ESTFCGI_TEST_PKCS11_CHILD_OUTPUT"

    /// Not a test of its own: the child process of `testProcessesShareTheToken` (skipped
    /// when run otherwise). Loads the key from scratch, signs a certificate, writes it; or,
    /// for `testEngineNotInstalled`, checks the load fails as it should.
    func testChildProcessSigns() throws {
        guard let output = ProcessInfo.processInfo.environment[Self.childOutput] else {
            throw XCTSkip("runs only as a child process of testProcessesShareTheToken and testEngineNotInstalled")
        }
        if output == "engine" {
            XCTAssertThrowsError(try tokenKey("ec")) { error in
                XCTAssertEqual(error as? PKCS11Error, .engineNotInstalled(path: hsm.directory.path + "/pkcs11.so"))
                XCTAssertEqual((error as? PKCS11Error)?.fix, "install libengine-pkcs11-openssl")
            }
            return
        }
        let key = try tokenKey("ec")
        try write(try Self.selfSigned(key, cn: "Child \(getpid())").pem, output)
    }

    /// Loading waits while another process holds the module lock (here `flock(1)`, as an
    /// operator's tool would be run).
    func testLoadWaitsForAnotherProcessesLock() throws {
        _ = try tokenKey("ec")
        let holder = try SoftHSMFixture.start("/usr/bin/flock", [SoftHSMFixture.module, "/bin/sh", "-c", "echo held; sleep 1.5"])
        // Wait until the holder has the lock (it prints once it does).
        let line = holder.pipe.fileHandleForReading.availableData
        XCTAssertEqual(String(decoding: line, as: UTF8.self), "held\n")
        let start = Date()
        _ = try tokenKey("rsa")
        XCTAssertGreaterThan(Date().timeIntervalSince(start), 1.0)
        XCTAssertEqual(holder.wait().0, 0)
    }

    func testWrongPIN() throws {
        XCTAssertThrowsError(try tokenKey("k", token: "pintest", pin: "987654")) { error in
            XCTAssertEqual(error as? PKCS11Error, .wrongPIN(token: "token=pintest"))
            XCTAssertFalse("\(error)".contains("987654"))
        }
        // Once the PIN file is corrected, the same process loads the key.
        XCTAssertEqual(try tokenKey("k", token: "pintest").algorithm, .ec(curve: "prime256v1"))
    }

    func testMissingTokenAndMissingKey() throws {
        XCTAssertThrowsError(try tokenKey("ec", token: "nosuch")) { error in
            XCTAssertEqual(error as? PKCS11Error, .tokenNotPresent(token: "token=nosuch"))
        }
        XCTAssertThrowsError(try tokenKey("nokey")) { error in
            XCTAssertEqual(error as? PKCS11Error, .keyNotFound(uri: "pkcs11:token=estca;object=nokey;type=private"))
        }
        // The token is still usable after those.
        XCTAssertEqual(try tokenKey("ec").algorithm, .ec(curve: "prime256v1"))
    }

    func testUnloadableModule() throws {
        let notAModule = hsm.directory.appendingPathComponent("not-a-module.so")
        try "not ELF".write(to: notAModule, atomically: true, encoding: .utf8)
        for module in ["/nonexistent/libnothing.so", notAModule.path, "/usr/lib/x86_64-linux-gnu/libz.so.1", "relative.so"] {
            XCTAssertThrowsError(try PrivateKey.token(uri: try PKCS11URI("pkcs11:object=k"), module: module, pin: "1234"), module) { error in
                guard case PKCS11Error.moduleNotLoadable = error else { return XCTFail("\(module): \(error)") }
            }
        }
        let writable = hsm.directory.appendingPathComponent("writable.so")
        try FileManager.default.copyItem(atPath: URL(fileURLWithPath: SoftHSMFixture.module).resolvingSymlinksInPath().path, toPath: writable.path)
        chmod(writable.path, 0o666)
        XCTAssertThrowsError(try PrivateKey.token(uri: try PKCS11URI("pkcs11:object=k"), module: writable.path, pin: "1234")) { error in
            guard case PKCS11Error.moduleNotLoadable(_, let reason) = error else { return XCTFail("\(error)") }
            XCTAssertTrue(reason.contains("writable by group or others"), reason)
        }
        XCTAssertThrowsError(try PrivateKey.token(uri: try PKCS11URI("pkcs11:object=k"), pin: "1234")) { error in
            guard case PKCS11Error.moduleNotLoadable = error else { return XCTFail("\(error)") }
        }
    }

    /// A token key against a certificate for another key (same type, other type) is told apart.
    func testKeyCertificateMismatch() throws {
        let ec = try tokenKey("ec")
        let rsa = try tokenKey("rsa")
        let software = try PrivateKey.generate(.ecP256)
        let softwareCA = try Self.selfSigned(software, cn: "Software")
        XCTAssertFalse(try ec.matches(certificate: softwareCA))
        XCTAssertFalse(try rsa.matches(certificate: softwareCA))
        XCTAssertFalse(try rsa.matches(certificate: try Self.selfSigned(try PrivateKey.generate(.rsa2048), cn: "Software RSA")))
        XCTAssertFalse(try ec.matches(certificate: try Self.selfSigned(rsa, cn: "Token RSA")))
        XCTAssertFalse(try software.matches(certificate: try Self.selfSigned(ec, cn: "Token")))
        XCTAssertTrue(try software.matches(certificate: softwareCA))
        XCTAssertFalse(ec.matches(try software.publicKey))
        XCTAssertTrue(ec.matches(try ec.publicKey))
    }
}

private final class Failures: @unchecked Sendable {
    private let lock = NSLock()
    private var list: [String] = []
    func add(_ s: String) { lock.lock(); list.append(s); lock.unlock() }
    var all: [String] { lock.lock(); defer { lock.unlock() }; return list }
}
