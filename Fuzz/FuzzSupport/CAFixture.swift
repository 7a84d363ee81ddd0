// Shared by the fuzz targets that reach the CA (FuzzCSR, FuzzParams); public APIs only.
import ESTCA
import ESTCore
import ESTOpenSSL
import ESTSQLiteStore
import Foundation

/// A real CertificateAuthority over a real SQLiteCAStore in a temporary directory, made once
/// per process (like Tests/ESTCATests' Fixture): root -> issuing, and a "factory" CA that
/// issued one bootstrap certificate. Profiles:
/// - default: issued by "issuing", first enrollment trusted from "factory", CSR attributes
///   advertised but not enforced;
/// - "strict": the same, enforcing its CSR attributes and allowing only P-256/RSA keys;
/// - "keygen": serverkeygen enabled (P-256);
/// - "factory": issued by "factory" (the bootstrap certificate's profile).
/// The directory (under $TMPDIR) is removed at exit.
public final class CAFixture: @unchecked Sendable {
    public let dir: URL
    public let store: SQLiteCAStore
    public let authority: CertificateAuthority
    public let service: ESTService
    public let bootstrap: Certificate
    /// A device certificate under the default profile, with the subject and subjectAltName of
    /// Tests/Vectors/csr/ossl-p256-san (so that CSR re-enrolls it, RFC 7030 §4.2.2).
    public let enrolled: Certificate

    public static let shared: CAFixture = {
        do { return try CAFixture() } catch {
            fail("cannot build the CA fixture: \(error)")
        }
    }()

    init() throws {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("estfcgi-fuzz-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        fixtureDir = dir.path
        atexit(removeFixtureDir)
        store = try SQLiteCAStore(path: dir.appendingPathComponent("ca.db").path, create: true)
        authority = CertificateAuthority(store: store, keyring: CAKeyring(passphrase: "fuzz passphrase"))
        let admin = CAAdministration(authority)
        try admin.createCA(name: "root", subject: "CN=Fuzz Root", keyType: .ecP256, days: 3650, issuer: nil, pathLength: nil)
        try admin.createCA(name: "issuing", subject: "CN=Fuzz Issuing", keyType: .ecP256, days: 1000, issuer: "root", pathLength: 0)
        try admin.createCA(name: "factory", subject: "CN=Fuzz Factory", keyType: .ecP256, days: 3650, issuer: nil, pathLength: nil)
        try admin.saveProfile(Profile(label: "factory", issuer: "factory"), replace: false)

        let attrs: [CSRAttributeItem] = [.challengePassword, .keyType(.ecP256), .signatureAlgorithm(.ecdsaWithSHA256),
                                         .subjectAltName(.dNSName), .extensionRequest(.macAddress)]
        var def = Profile(label: nil, issuer: "issuing")
        def.trust = ["factory"]
        def.csrAttrs = attrs
        try admin.saveProfile(def, replace: false)
        var strict = Profile(label: "strict", issuer: "issuing")
        strict.trust = ["factory"]
        strict.keyTypes = [.exact(.ecP256), .rsa]
        strict.csrAttrs = [.subjectAltName(.dNSName), .signatureAlgorithm(.ecdsaWithSHA256)]
        strict.enforceCsrAttrs = true
        try admin.saveProfile(strict, replace: false)
        var keygen = Profile(label: "keygen", issuer: "issuing")
        keygen.trust = ["factory"]
        keygen.serverKeygen = .ecP256
        try admin.saveProfile(keygen, replace: false)

        let key = try PrivateKey.generate(.ecP256)
        let csr = try CSRBuilder.make(subject: try DistinguishedName(parsing: "CN=fuzz-bootstrap"), key: key)
        bootstrap = try authority.issue(csr: csr, profile: try authority.requireProfile("factory"), requester: "fuzz", audit: nil).0
        let deviceKey = try PrivateKey.generate(.ecP256)
        let deviceCSR = try CSRBuilder.make(
            subject: try DistinguishedName(parsing: "CN=device-p256.example.com"), key: deviceKey,
            extensions: [("subjectAltName", "DNS:device-p256.example.com,DNS:alt.example.com,IP:192.0.2.10,"
                          + "IP:2001:db8::10,email:device@example.com,URI:urn:uuid:0d7e5a90-3c1f-4b7e-8a6d-2f4e9c1b5a77")])
        enrolled = try authority.issue(csr: deviceCSR, profile: try authority.requireProfile(nil), requester: "fuzz", audit: nil).0
        service = ESTService(authority: authority)
    }

    /// The statuses a well-configured responder may answer; anything else (500 above all)
    /// is a finding.
    public static let expectedStatuses: Set<Int> = [200, 204, 400, 401, 403, 404, 405, 413, 415, 501]

    /// Checks what a 200 from an issuing operation promises: one certificate (the last
    /// certs-only part for serverkeygen), recorded in the store under the outcome's serial.
    public func checkIssued(_ outcome: ESTOutcome, target: String) {
        let r = outcome.response
        let certsOnly: Data
        if let type = r.header("Content-Type"), type.hasPrefix("multipart/mixed") {
            // serverkeygen: the certs-only part is the last base64 block of the body.
            let text = String(decoding: r.body, as: UTF8.self)
            guard let range = text.range(of: "smime-type=certs-only", options: .backwards) else {
                fail("\(target): serverkeygen answer without a certs-only part")
            }
            let after = text[range.upperBound...]
            let body = after.components(separatedBy: "\r\n\r\n").dropFirst().first ?? ""
            certsOnly = Data(body.prefix { $0 != "-" }.utf8)
        } else {
            certsOnly = r.body
        }
        guard let der = PEM.decodeBase64(certsOnly), let certs = try? PKCS7CertsOnly.decode(der), certs.count == 1 else {
            fail("\(target): 200 answer is not one base64 certs-only certificate")
        }
        let cert = certs[0]
        guard outcome.serial == cert.serialHex else {
            fail("\(target): answered serial \(cert.serialHex), outcome says \(outcome.serial ?? "none")")
        }
        guard let record = try? store.issuedCertificate(fingerprint: cert.fingerprint.hexString), record.der == cert.der,
              record.status == .valid else {
            fail("\(target): issued certificate \(cert.serialHex) is not recorded as valid")
        }
    }
}

nonisolated(unsafe) private var fixtureDir: String?

private func removeFixtureDir() {
    if let fixtureDir { try? FileManager.default.removeItem(atPath: fixtureDir) }
}

/// Stops the run (libFuzzer saves the input) with a message naming the broken invariant.
public func fail(_ message: String) -> Never {
    let line = "INVARIANT VIOLATED: \(message)\n"
    line.withCString { _ = write(2, $0, strlen($0)) }
    abort()
}

/// FUZZ_TRACE=1: each outcome's log line on stderr (to see what seeds reach; slow).
public let trace = ProcessInfo.processInfo.environment["FUZZ_TRACE"] == "1"

public func traceLine(_ line: String) {
    (line + "\n").withCString { _ = write(2, $0, strlen($0)) }
}

public func invariant(_ ok: @autoclosure () -> Bool, _ message: @autoclosure () -> String) {
    if !ok() { fail(message()) }
}
