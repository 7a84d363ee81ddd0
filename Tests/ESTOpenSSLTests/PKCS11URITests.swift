import ESTOpenSSL
import Foundation
import XCTest

final class PKCS11URITests: XCTestCase {
    func testParsesTokenObjectIdAndQuery() throws {
        let uri = try PKCS11URI("pkcs11:token=My%20CA;object=ca-key;id=%01%a2;type=private?pin-source=file:/etc/estfcgi/pin&module-path=/usr/lib/softhsm/libsofthsm2.so")
        XCTAssertEqual(uri.token, "My CA")
        XCTAssertEqual(uri.object, "ca-key")
        XCTAssertEqual(uri.id, Data([0x01, 0xa2]))
        XCTAssertEqual(uri.pinSource, "/etc/estfcgi/pin")
        XCTAssertEqual(uri.modulePath, "/usr/lib/softhsm/libsofthsm2.so")
        XCTAssertEqual(uri.tokenDescription, "token=My%20CA")
        // The canonical text parses back to the same value.
        XCTAssertEqual(try PKCS11URI(uri.description), uri)
        XCTAssertEqual(uri.description,
                       "pkcs11:token=My%20CA;object=ca-key;id=%01%A2?pin-source=file:/etc/estfcgi/pin&module-path=/usr/lib/softhsm/libsofthsm2.so")
    }

    func testAcceptsPinSourceInThePathAndFileURLForm() throws {
        let uri = try PKCS11URI("PKCS11:token=t;object=k;pin-source=file:///run/pin;serial=0123;model=SoftHSM%20v2;manufacturer=SoftHSM%20project")
        XCTAssertEqual(uri.pinSource, "/run/pin")
        XCTAssertEqual(uri.serial, "0123")
        XCTAssertEqual(uri.model, "SoftHSM v2")
        XCTAssertEqual(uri.manufacturer, "SoftHSM project")
        XCTAssertEqual(try PKCS11URI("pkcs11:id=%02").id, Data([2]))
    }

    func testRefusesAPINAndNeverEchoesIt() {
        for text in ["pkcs11:token=t;object=k?pin-value=S3cretPIN", "pkcs11:token=t;object=k;pin-value=S3cretPIN"] {
            XCTAssertThrowsError(try PKCS11URI(text)) { error in
                guard case PKCS11Error.invalidURI(let why) = error else { return XCTFail("\(error)") }
                XCTAssertTrue(why.contains("pin-source"), why)
                XCTAssertFalse("\(error)".contains("S3cretPIN"))
            }
        }
    }

    func testRefusesMalformed() {
        let cases: [(String, String)] = [
            ("https://x/?object=k", "does not start with pkcs11:"),
            ("pkcs11:token=t", "names no key"),
            ("pkcs11:", "names no key"),
            ("pkcs11:object=k;object=j", "given twice"),
            ("pkcs11:object=k%2", "percent-encoding"),
            ("pkcs11:object=k%zz", "percent-encoding"),
            ("pkcs11:object=a%00b", "control character"),
            ("pkcs11:object=a%0Ab", "control character"),
            ("pkcs11:object=%FF%FE", "not UTF-8"),
            ("pkcs11:object=", "empty"),
            ("pkcs11:object=k;type=cert", "type must be private"),
            ("pkcs11:object=k;slot-id=1", "not supported"),
            ("pkcs11:object=k?module-name=softhsm2", "not supported"),
            ("pkcs11:object=k?token=t", "not supported"),
            ("pkcs11:object=k;token", "without '='"),
            ("pkcs11:object=k;", "without '='"),
            ("pkcs11:object=k?pin-source=|/bin/echo", "pin-source must be"),
            ("pkcs11:object=k?pin-source=relative", "pin-source must be"),
            ("pkcs11:object=k?module-path=lib.so", "absolute path"),
            ("pkcs11:object=k;token=" + String(repeating: "a", count: 33), "longer than 32"),
            ("pkcs11:object=" + String(repeating: "a", count: 10_000), "longer than 4096"),
        ]
        for (text, expected) in cases {
            XCTAssertThrowsError(try PKCS11URI(text), text) { error in
                guard case PKCS11Error.invalidURI(let why) = error else { return XCTFail("\(text): \(error)") }
                XCTAssertTrue(why.contains(expected), "\(text.prefix(80)): \(why)")
                XCTAssertLessThan(why.utf8.count, 200)
                XCTAssertFalse(why.unicodeScalars.contains { $0.value < 0x20 })
            }
        }
    }

    func testErrorsNameAFix() {
        let errors: [PKCS11Error] = [.wrongPIN(token: "token=a"), .tokenNotPresent(token: "token=a"), .keyNotFound(uri: "pkcs11:object=k"),
                                     .moduleNotLoadable(module: "/x.so", reason: "no file"), .pinLocked(token: "token=a"),
                                     .keyMismatch(uri: "pkcs11:object=k"), .engineNotInstalled(path: "/e.so")]
        XCTAssertEqual(Set(errors.map(\.fix)).count, errors.count)
    }
}
