import ESTCA
import ESTCore
import ESTOpenSSL
import Foundation
import XCTest

/// `ca rekey-protection` (issue 24): every stored key (CAs', generations', OCSP signers')
/// moves between the passphrase and the key file in one transaction, on both engines.
enum KeyProtectionContract {
    static func rekeyMovesEveryKeyAtomically(_ f: StoreFactory) throws {
        _ = try StoreContract.setUp(f)
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("estfcgi-kp-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let keyFile = try KeyFile.create(dir + "/key")
        let store = try f.makeStore()
        let both = CAAdministration(CertificateAuthority(store: store, keyring: CAKeyring(passphrase: StoreContract.passphrase, keyFile: keyFile)))
        _ = try both.renew(name: "issuing", newKey: true, issuer: nil, days: nil)   // a generation with a key
        _ = try both.issueOCSPSigner(ca: "issuing")                                  // an OCSP signer key, sealed
        XCTAssertEqual(try store.ocspSigners().first { $0.ca == "issuing" }?.keyProtection, KeyProtection.keyFile.rawValue)

        func protections() throws -> [String?] {
            try store.allCAs().map(\.keyProtection) + store.caGenerations(ofCA: nil).map(\.keyProtection)
                + store.ocspSigners().map(\.keyProtection)
        }
        let moved = try both.rekeyProtection(to: .keyFile)
        XCTAssertTrue(moved.contains(.ca("root")))
        XCTAssertTrue(moved.contains { if case .generation(_, "issuing") = $0 { return true } else { return false } })
        XCTAssertFalse(moved.contains(.ocspSigner(ca: "issuing")), "already sealed: left as it is")
        XCTAssertEqual(Set(try protections()), [KeyProtection.keyFile.rawValue])
        XCTAssertEqual(try both.rekeyProtection(to: .keyFile), [], "nothing left to move")
        XCTAssertTrue(try store.auditRecords(limit: 5).contains { $0.event.operation == "ca-key-protect" })

        // The key file alone now opens every key, the passphrase alone none.
        let keyFileOnly = CAKeyring(passphrase: nil, keyFile: keyFile)
        let passphraseOnly = CAKeyring(passphrase: StoreContract.passphrase)
        for ca in try store.allCAs() {
            XCTAssertNoThrow(try keyFileOnly.signingKey(for: ca))
            XCTAssertThrowsError(try passphraseOnly.signingKey(for: ca))
        }

        // One change whose key moved meanwhile undoes the others: nothing is written.
        let root = try XCTUnwrap(try store.ca(named: "root"))
        let issuing = try XCTUnwrap(try store.ca(named: "issuing"))
        let rootKey = try keyFileOnly.signingKey(for: root)
        let fresh = try SealedPrivateKey.seal(rootKey, secret: keyFile.secret)
        XCTAssertThrowsError(try store.replaceKeys([
            KeyReencryption(holder: .ca("root"), oldPEM: try XCTUnwrap(root.encryptedKeyPEM), newPEM: fresh),
            KeyReencryption(holder: .ca("issuing"), oldPEM: "not the stored key", newPEM: fresh),
        ], audit: .admin("ca-key-protect"), now: Date())) { error in
            XCTAssertTrue("\(error)".contains("changed meanwhile"), "\(error)")
        }
        XCTAssertEqual(try store.ca(named: "root")?.encryptedKeyPEM, root.encryptedKeyPEM, "rolled back")
        XCTAssertEqual(try store.ca(named: "issuing")?.encryptedKeyPEM, issuing.encryptedKeyPEM)

        // And back: the passphrase alone opens every key again.
        XCTAssertFalse(try both.rekeyProtection(to: .passphrase).isEmpty)
        XCTAssertEqual(Set(try protections()), [KeyProtection.passphrase.rawValue])
        let fresher = CAKeyring(passphrase: StoreContract.passphrase)
        for ca in try store.allCAs() { XCTAssertNoThrow(try fresher.signingKey(for: ca)) }

        // A target without its secret is refused before anything is read.
        XCTAssertThrowsError(try CAAdministration(CertificateAuthority(store: store, keyring: passphraseOnly)).rekeyProtection(to: .keyFile))
    }
}
