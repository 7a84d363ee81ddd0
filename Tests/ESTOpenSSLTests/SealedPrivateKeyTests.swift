import ESTOpenSSL
import Foundation
import XCTest

/// The key file's sealing (issue 24): HKDF-SHA256 from the secret, AES-256-GCM.
final class SealedPrivateKeyTests: XCTestCase {
    let secret = Data((0..<32).map { UInt8($0) })

    func testSealsAndOpensEveryKeyType() throws {
        for type in [KeyType.ecP256, .rsa2048, .ed25519] {
            let key = try PrivateKey.generate(type)
            let pem = try SealedPrivateKey.seal(key, secret: secret)
            XCTAssertTrue(SealedPrivateKey.isSealed(pem))
            XCTAssertTrue(pem.hasPrefix("-----BEGIN ESTFCGI SEALED PRIVATE KEY-----\n"))
            XCTAssertTrue(try SealedPrivateKey.open(pem, secret: secret).matches(try key.publicKey), "\(type)")
        }
    }

    func testEachSealIsFresh() throws {
        let key = try PrivateKey.generate(.ecP256)
        // A fresh salt and IV per seal: the same key sealed twice shares no ciphertext.
        XCTAssertNotEqual(try SealedPrivateKey.seal(key, secret: secret), try SealedPrivateKey.seal(key, secret: secret))
    }

    func testTheWrongKeyFileIsNamedNotTakenForTampering() throws {
        let pem = try SealedPrivateKey.seal(try PrivateKey.generate(.ecP256), secret: secret)
        var other = secret
        other[0] ^= 1
        XCTAssertThrowsError(try SealedPrivateKey.open(pem, secret: other)) { error in
            guard case SealedKeyError.wrongKeyFile(let sealed, let given)? = error as? SealedKeyError else { return XCTFail("\(error)") }
            XCTAssertEqual(sealed, try? SealedPrivateKey.identifier(ofSecret: self.secret))
            XCTAssertEqual(given, try? SealedPrivateKey.identifier(ofSecret: other))
            XCTAssertEqual(SealedPrivateKey.keyFileIdentifier(of: pem), sealed)
            XCTAssertTrue("\(error)".contains("not with the key file given"))
        }
        XCTAssertThrowsError(try SealedPrivateKey.open(pem, secret: Data(count: 16))) { XCTAssertEqual($0 as? SealedKeyError, .badSecret) }
    }

    /// Every byte after the version, flipped in turn (the key file id, salt, IV, ciphertext,
    /// tag): never a key, always a SealedKeyError (the id: the wrong key file; the rest:
    /// not authentic).
    func testAnyAlteredByteFailsAuthentication() throws {
        let pem = try SealedPrivateKey.seal(try PrivateKey.generate(.ecP256), secret: secret)
        let raw = try XCTUnwrap(PEM.blocks(in: pem).first)
        for index in 1..<raw.count {
            var altered = raw
            altered[index] ^= 0x80
            let tampered = PEM.encode(altered, label: "ESTFCGI SEALED PRIVATE KEY")
            XCTAssertThrowsError(try SealedPrivateKey.open(tampered, secret: secret)) { error in
                let e = error as? SealedKeyError
                if index < 9 {
                    guard case .wrongKeyFile? = e else { return XCTFail("byte \(index): \(error)") }
                } else {
                    XCTAssertEqual(e, .notAuthentic, "byte \(index)")
                }
            }
        }
        // Truncated, another version, not sealed at all: malformed, not a crash.
        var short = raw.prefix(60)
        XCTAssertThrowsError(try SealedPrivateKey.open(PEM.encode(short, label: "ESTFCGI SEALED PRIVATE KEY"), secret: secret)) {
            guard case .malformed? = $0 as? SealedKeyError else { return XCTFail("\($0)") }
        }
        short = raw
        short[0] = 2
        XCTAssertThrowsError(try SealedPrivateKey.open(PEM.encode(short, label: "ESTFCGI SEALED PRIVATE KEY"), secret: secret)) {
            XCTAssertTrue("\($0)".contains("version 2"), "\($0)")
        }
        XCTAssertThrowsError(try SealedPrivateKey.open("-----BEGIN PRIVATE KEY-----\n-----END PRIVATE KEY-----\n", secret: secret))
    }

    /// RFC 5869 Appendix A.1 (test case 1), through the same HKDF the sealing uses: the
    /// derivation is HKDF-SHA256 and not something like it.
    func testHKDFIsRFC5869() throws {
        let okm = try SealedPrivateKey.hkdfSHA256([UInt8](repeating: 0x0b, count: 22), salt: (0x00...0x0c).map { UInt8($0) },
                                                  info: (0xf0...0xf9).map { UInt8($0) }, length: 42)
        XCTAssertEqual(okm.map { String(format: "%02x", $0) }.joined(),
                       "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865")
    }
}
