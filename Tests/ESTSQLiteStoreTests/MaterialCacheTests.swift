import ESTCA
import ESTCore
import ESTOpenSSL
import ESTSQLiteStore
import Foundation
import XCTest

/// A responder parses CAs and profiles once per store version; an operator's change from
/// the CLI (another connection, another process) is seen by the very next request.
final class MaterialCacheTests: XCTestCase {
    func testCLIChangesReachTheNextRequest() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("estfcgi-cache-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("ca.db").path
        let keyring = CAKeyring(passphrase: "cache passphrase")
        let cli = CertificateAuthority(store: try SQLiteCAStore(path: path, create: true), keyring: keyring)
        let admin = CAAdministration(cli)
        try admin.createCA(name: "issuing", subject: "CN=Issuing", keyType: .ecP256, days: 50, issuer: nil, pathLength: 0)
        try admin.createCA(name: "factory", subject: "CN=Factory", keyType: .ecP256, days: 100, issuer: nil, pathLength: nil)
        try admin.saveProfile(Profile(label: "factory", issuer: "factory"), replace: false)
        var profile = Profile(label: "iot", issuer: "issuing")
        profile.trust = ["factory"]
        try admin.saveProfile(profile, replace: false)
        let boot = try cli.issue(csr: try CSRBuilder.make(subject: try DistinguishedName(parsing: "CN=boot"),
                                                          key: try PrivateKey.generate(.ecP256)),
                                 profile: try cli.requireProfile("factory"), requester: "test", audit: nil).0

        let pool = try SQLiteStorePool(path: path)
        defer { _ = pool.close() }
        let store = try pool.makeStore()
        let service = ESTService(authority: CertificateAuthority(store: store, keyring: keyring))
        func enroll(_ client: Certificate = boot) throws -> ESTOutcome {
            let csr = try CSRBuilder.make(subject: try DistinguishedName(parsing: "CN=dev"), key: try PrivateKey.generate(.ecP256))
            return service.handle(ESTRequest(params: ["REQUEST_METHOD": "POST", "DOCUMENT_URI": "/.well-known/est/iot/simpleenroll",
                                                      "CONTENT_TYPE": "application/pkcs10", "SSL_CLIENT_CERT": client.pem],
                                             body: csr.der))
        }

        let version = try store.materialVersion()
        XCTAssertEqual(try enroll().response.status, 200)
        XCTAssertEqual(try store.materialVersion(), version, "issuing a certificate does not invalidate the parsed CAs")

        profile.trust = []
        try admin.saveProfile(profile, replace: true)
        XCTAssertNotEqual(try store.materialVersion(), version)
        XCTAssertEqual(try enroll().reason, "profile iot trusts no CA for enrollment")

        profile.trust = ["factory"]
        try admin.saveProfile(profile, replace: true)
        XCTAssertEqual(try enroll().response.status, 200)
        try admin.setStatus(.disabled, ofCA: "issuing")
        XCTAssertEqual(try enroll().response.status, 500, "a disabled issuer is seen at once")
        try admin.setStatus(.active, ofCA: "issuing")
        XCTAssertEqual(try enroll().response.status, 200)

        // Revocation is never cached.
        try admin.revoke(serial: boot.serialHex, reason: .keyCompromise)
        XCTAssertEqual(try enroll().reason, "client certificate is revoked")
    }
}
