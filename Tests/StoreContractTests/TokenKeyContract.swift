import ESTCA
import ESTCore
import ESTOpenSSL
import ESTStore
import Foundation
import XCTest

/// CAs whose key is in a PKCS#11 token, as the store keeps them (migration 9): the URI and
/// the module path only, read back equal, beside CAs with encrypted keys; and what the
/// layers above do with such a record when no token is at hand.
enum TokenKeyContract {
    static func tokenKeysAreAReference(_ f: StoreFactory) throws {
        _ = try StoreContract.setUp(f)
        let store = try f.makeStore()
        let authority = CertificateAuthority(store: store, keyring: CAKeyring(passphrase: StoreContract.passphrase))
        let admin = CAAdministration(authority)
        // Any CA certificate will do: the store does not see the key.
        let key = try PrivateKey.generate(.ecP256)
        func caCert(_ cn: String) throws -> Certificate {
            try CertificateSigner.sign(CertificateTemplate(
                subject: try DistinguishedName(parsing: "CN=\(cn)"), publicKey: try key.publicKey, serial: try CertificateTemplate.randomSerial(),
                notBefore: Date(), notAfter: Date().addingTimeInterval(86400), isCA: true, pathLength: nil,
                keyUsage: [.keyCertSign, .cRLSign, .digitalSignature]), issuer: nil, issuerKey: key)
        }
        let withModule = try CAAdministration.tokenKeyReference(
            uri: "pkcs11:token=CA%20token;object=ca-key?pin-source=file:/etc/estfcgi/pin", module: "/usr/lib/softhsm/libsofthsm2.so")
        let withoutModule = try CAAdministration.tokenKeyReference(uri: "pkcs11:token=CA;id=%01%02", module: nil)
        let now = Date()
        try store.insertCA(NewCA(name: "tk1", certificate: try caCert("Token 1"), chain: [], tokenKey: withModule),
                           audit: .admin("ca-create", reason: "test"), now: now)
        try store.insertCA(NewCA(name: "tk2", certificate: try caCert("Token 2"), chain: [], tokenKey: withoutModule),
                           audit: .admin("ca-create", reason: "test"), now: now)

        // Read back (by name and in the list) as they were given, no key material.
        let tk1 = try XCTUnwrap(try store.ca(named: "tk1"))
        XCTAssertEqual(tk1.tokenKey, withModule)
        XCTAssertEqual(tk1.tokenKey?.uriText, "pkcs11:token=CA%20token;object=ca-key?pin-source=file:/etc/estfcgi/pin")
        XCTAssertEqual(tk1.tokenKey?.module, "/usr/lib/softhsm/libsofthsm2.so")
        XCTAssertNil(tk1.encryptedKeyPEM)
        XCTAssertNil(tk1.keyProtection)
        XCTAssertTrue(tk1.hasKey)
        XCTAssertEqual(tk1.keyLocation, "pkcs11")
        let all = try store.allCAs()
        XCTAssertEqual(all.first { $0.name == "tk2" }?.tokenKey, withoutModule)
        XCTAssertNil(all.first { $0.name == "tk2" }?.tokenKey?.module)
        XCTAssertEqual(all.first { $0.name == "root" }?.keyLocation, "encrypted")
        XCTAssertNil(all.first { $0.name == "root" }?.tokenKey)

        // store copy carries the reference.
        let target = try StoreFactory(f.backend)
        _ = try target.makeStore(create: true)
        _ = try StoreCopy.copy(from: try f.connection(), to: try target.connection(), targetName: "target")
        XCTAssertEqual(try target.makeStore().ca(named: "tk1")?.tokenKey, withModule)
        XCTAssertEqual(try target.makeStore().ca(named: "tk2")?.tokenKey, withoutModule)

        // A token CA can issue: a profile may name it.
        try admin.saveProfile(Profile(label: "tk", issuer: "tk2"), replace: false)

        // Re-encrypting keys under newer protection leaves token keys alone (there is nothing
        // to decrypt) and does not fail on them.
        XCTAssertEqual(try admin.upgradeKeyProtection(), [])

        // No token here: signing with it is a 503 (retry later) with the reason and the fix,
        // never a 500.
        XCTAssertThrowsError(try CAKeyring(passphrase: nil).signingKey(for: tk1)) { error in
            guard case .unavailable(let reason)? = error as? CAError else { return XCTFail("\(error)") }
            XCTAssertTrue(reason.contains("CA 'tk1' key in PKCS#11 token token=CA%20token"), reason)
            XCTAssertTrue(reason.contains("fix:"), reason)
        }
        XCTAssertThrowsError(try CAKeyring(passphrase: nil).signingKey(for: try XCTUnwrap(store.ca(named: "tk2")))) { error in
            XCTAssertEqual((error as? CAError)?.httpStatus, 503)
            XCTAssertTrue("\(error)".contains("no PKCS#11 module given"), "\(error)")
        }
        XCTAssertThrowsError(try CAKeyring(passphrase: nil, pkcs11: PKCS11Settings(module: "/usr/lib/softhsm/libsofthsm2.so"))
            .signingKey(for: try XCTUnwrap(store.ca(named: "tk2")))) { error in
            XCTAssertEqual((error as? CAError)?.httpStatus, 503)
            XCTAssertTrue("\(error)".contains("no PIN for token token=CA"), "\(error)")
        }
    }

    /// The URI given to ca create / import: module-path is refused (only the operator's
    /// --pkcs11-module or ESTFCGI_PKCS11_MODULE picks the library loaded), so is a PIN.
    static func urisFromTheOperator() throws {
        for (uri, why) in [
            ("pkcs11:token=A;object=k?module-path=/tmp/evil.so", "module-path is not taken from a URI"),
            ("pkcs11:token=A;object=k?pin-value=1234", "a PIN must not be in the URI"),
            ("pkcs11:token=A", "names no key"),
            ("file:/x", "does not start with pkcs11:"),
        ] {
            XCTAssertThrowsError(try CAAdministration.tokenKeyReference(uri: uri, module: nil)) { error in
                XCTAssertEqual((error as? CAError)?.httpStatus, 400)
                XCTAssertTrue("\(error)".contains(why), "\(error)")
                XCTAssertFalse("\(error)".contains("1234"))
            }
        }
        XCTAssertThrowsError(try CAAdministration.tokenKeyReference(uri: "pkcs11:token=A;object=k", module: "libsofthsm2.so"))
        XCTAssertThrowsError(try CAAdministration.tokenKeyReference(uri: "pkcs11:token=A;object=k", module: "/lib/x\n.so"))
        // A stored URI's module-path (a store edited by hand) is never the module loaded.
        XCTAssertNil(try TokenKeyReference(stored: "pkcs11:token=A;object=k?module-path=/tmp/evil.so", module: nil).uri.modulePath)
    }
}
