import ESTOpenSSL
import Foundation
import XCTest

/// HMAC-SHA256 (notification signatures) against RFC 4231's vectors.
final class HMACTests: XCTestCase {
    func testRFC4231Vectors() {
        // Test case 2: a key shorter than the block.
        XCTAssertEqual(HMAC.sha256(key: Data("Jefe".utf8), data: Data("what do ya want for nothing?".utf8)).hexString,
                       "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843")
        // Test case 6: a key longer than the block (hashed first).
        XCTAssertEqual(HMAC.sha256(key: Data(repeating: 0xaa, count: 131),
                                   data: Data("Test Using Larger Than Block-Size Key - Hash Key First".utf8)).hexString,
                       "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54")
    }

    func testEmptyKeyAndBody() {
        XCTAssertEqual(HMAC.sha256(key: Data(), data: Data()).hexString,
                       "b613679a0814d9ec772f95d778c35fc5ff1697c493715653c6c712144292c5ad")
    }
}
