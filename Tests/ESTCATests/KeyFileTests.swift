@testable import ESTCA
import ESTOpenSSL
import Foundation
import XCTest

/// The key file (issue 24): created once, O_EXCL, mode 600; read only when it is a regular
/// file of this user or root, closed to others, not a symlink, 64 hex digits; a keyring with
/// it seals new keys and says clearly when a key needs another file.
final class KeyFileTests: ScratchDirectoryTestCase {
    func reason(_ body: () throws -> Any) -> String {
        do { _ = try body(); return "no error" } catch { return (error as? CAError)?.reason ?? "\(error)" }
    }

    func testCreateWritesA600FileOnceAndReadsItBack() throws {
        let path = dir + "/key"
        let made = try KeyFile.create(path)
        var st = stat()
        XCTAssertEqual(stat(path, &st), 0)
        XCTAssertEqual(st.st_mode & 0o777, 0o600)
        let text = try String(contentsOfFile: path, encoding: .utf8)
        XCTAssertEqual(text.count, 65)
        XCTAssertTrue(text.hasSuffix("\n"))
        XCTAssertEqual(made.secret.count, 32)
        XCTAssertEqual(try KeyFile.read(path).secret, made.secret)
        // Never replaced: it may seal CA keys.
        XCTAssertTrue(reason { try KeyFile.create(path) }.contains("already exists"))
        XCTAssertEqual(try KeyFile.read(path).secret, made.secret)
        XCTAssertNotEqual(try KeyFile.create(dir + "/other").secret, made.secret)
    }

    func testReadRefusesWhatAPassphraseFileWouldNotBe() throws {
        let path = dir + "/key"
        try KeyFile.create(path)
        chmod(path, 0o644)
        XCTAssertEqual(reason { try KeyFile.read(path) }, "key file \(path) is open to others (mode 644): chmod 600 it")
        chmod(path, 0o640)
        XCTAssertEqual(try KeyFile.read(path).mode, 0o640, "group read is allowed (a web server's group)")
        chmod(path, 0o600)
        XCTAssertEqual(symlink(path, dir + "/link"), 0)
        XCTAssertTrue(reason { try KeyFile.read(self.dir + "/link") }.contains("is a symbolic link"))
        XCTAssertTrue(reason { try KeyFile.read(self.dir) }.contains("is not a regular file"))
        XCTAssertTrue(reason { try KeyFile.read(self.dir + "/none") }.contains("cannot be read"))
        for bad in ["", "abc\n", String(repeating: "g", count: 64), String(repeating: "a", count: 63) + "\n",
                    String(repeating: "a", count: 64) + "\n\n", "correct horse battery staple\n", String(repeating: "a", count: 4096)] {
            let p = dir + "/bad"
            unlink(p)
            FileManager.default.createFile(atPath: p, contents: Data(bad.utf8), attributes: [.posixPermissions: 0o600])
            XCTAssertTrue(reason { try KeyFile.read(p) }.contains("is not a key file: it must hold 64 hex digits"), bad)
        }
        let p = dir + "/openssl"
        FileManager.default.createFile(atPath: p, contents: Data((String(repeating: "0A", count: 32) + "\r\n").utf8),
                                       attributes: [.posixPermissions: 0o600])
        XCTAssertEqual(try KeyFile.read(p).secret, Data(repeating: 0x0a, count: 32), "upper case and CRLF, as editors leave them")
    }

    func testKeyringSealsUnderTheKeyFileAndNamesTheOneANeedsKey() throws {
        let first = try KeyFile.create(dir + "/first")
        let second = try KeyFile.create(dir + "/second")
        let key = try PrivateKey.generate(.ecP256)
        let both = CAKeyring(passphrase: "a passphrase", keyFile: first)
        let sealed = try both.encrypt(key)
        XCTAssertEqual(KeyProtection.of(pem: sealed), .keyFile)
        XCTAssertEqual(KeyProtection.of(pem: try CAKeyring(passphrase: "a passphrase").encrypt(key)), .passphrase)
        XCTAssertTrue(try CAKeyring(passphrase: nil, keyFile: first).decrypted(sealed, owner: "CA 'x'").matches(try key.publicKey))

        let wrong = reason { try CAKeyring(passphrase: nil, keyFile: second).decrypted(sealed, owner: "CA 'x'") }
        XCTAssertEqual(wrong, "cannot decrypt the key of CA 'x' with key file \(second.path): sealed with key file \(first.identifier), " +
                       "not with the key file given (\(second.identifier))")
        XCTAssertEqual(reason { try CAKeyring(passphrase: "a passphrase").decrypted(sealed, owner: "CA 'x'") },
                       "the key of CA 'x' is sealed under a key file: use --key-file or ESTFCGI_KEY_FILE")
        // An altered ciphertext (one base64 character of the body) is not taken for a wrong file.
        var lines = sealed.split(separator: "\n").map(String.init)
        var body = Array(lines[2])
        body[10] = body[10] == "A" ? "B" : "A"
        lines[2] = String(body)
        let altered = lines.joined(separator: "\n") + "\n"
        XCTAssertEqual(reason { try CAKeyring(passphrase: nil, keyFile: first).decrypted(altered, owner: "CA 'x'") },
                       "cannot decrypt the key of CA 'x' with key file \(first.path): the sealed key fails authentication: it was altered")
        XCTAssertTrue(reason { try CAKeyring(passphrase: nil).checkPassphrase() }.hasPrefix("CA key passphrase needed"))
        XCTAssertNoThrow(try CAKeyring(passphrase: nil, keyFile: first).checkPassphrase())
    }
}
