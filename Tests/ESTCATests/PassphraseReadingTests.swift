@testable import ESTCA
import ESTOpenSSL
import Foundation
import XCTest

/// The store passphrase is the file's first line without its line end, LF or CR LF. Earlier
/// versions kept a CR LF (a Character split: "\r\n" is one Character), so keys sealed then
/// must still open whichever line end the file has now.
final class PassphraseReadingTests: ScratchDirectoryTestCase {
    func file(_ text: String) -> String {
        let p = dir + "/pp-\(UUID().uuidString)"
        FileManager.default.createFile(atPath: p, contents: Data(text.utf8), attributes: [.posixPermissions: 0o600])
        return p
    }

    func testLineEndsAreNotPartOfThePassphrase() throws {
        for text in ["correct horse\n", "correct horse\r\n", "correct horse", "correct horse\r\nsecond line\n", "correct horse\nsecond\r\n"] {
            XCTAssertEqual(try PassphraseFile.read(file(text)), "correct horse", text.debugDescription)
        }
        XCTAssertEqual(try PassphraseFile.readings(file("correct horse\n")).earlier, ["correct horse\r\n"])
        // What earlier versions read from a CR LF file, first.
        XCTAssertEqual(try PassphraseFile.readings(file("correct horse\r\n")).earlier, ["correct horse\r\n"])
        XCTAssertEqual(try PassphraseFile.readings(file("correct horse\r\nsecond\n")).earlier,
                       ["correct horse\r\nsecond", "correct horse\r\n"])
    }

    func testKeysSealedUnderTheEarlierReadingStillOpen() throws {
        let key = try PrivateKey.generate(.ecP256)
        let old = try key.encryptedPKCS8PEM(passphrase: "correct horse\r\n")
        for text in ["correct horse\n", "correct horse\r\n"] {
            let r = try PassphraseFile.readings(file(text))
            let keyring = CAKeyring(passphrase: r.passphrase, earlierPassphrases: r.earlier)
            XCTAssertTrue(try keyring.decrypted(old, owner: "CA 'x'").matches(try key.publicKey), text.debugDescription)
            // New keys are sealed under the passphrase alone: an LF file opens them.
            let new = try keyring.encrypt(key)
            XCTAssertTrue(try CAKeyring(passphrase: "correct horse").decrypted(new, owner: "CA 'x'").matches(try key.publicKey))
        }
        // Without the earlier readings the old key does not open (what this test guards),
        // and another passphrase opens nothing.
        XCTAssertThrowsError(try CAKeyring(passphrase: "correct horse").decrypted(old, owner: "CA 'x'"))
        let other = try PassphraseFile.readings(file("wrong horse\r\n"))
        XCTAssertThrowsError(try CAKeyring(passphrase: other.passphrase, earlierPassphrases: other.earlier).decrypted(old, owner: "CA 'x'"))
    }
}
