@testable import ESTOpenSSL
import Foundation
import XCTest

/// `PEM.contains`, the byte search that tells a PEM body from base64 (RFC 8951 §3), agrees with a
/// plain search at every position, at both ends, and with near misses.
final class PEMSearchTests: XCTestCase {
    func testAgreesWithAPlainSearch() {
        let needle = Data("-----BEGIN ".utf8)
        func plain(_ hay: Data) -> Bool {
            let h = [UInt8](hay), n = [UInt8](needle)
            guard h.count >= n.count else { return false }
            return (0...(h.count - n.count)).contains { Array(h[$0..<($0 + n.count)]) == n }
        }
        var cases: [Data] = [Data(), Data("-".utf8), Data("-----BEGIN".utf8), needle, Data("x".utf8) + needle,
                             needle + Data("x".utf8), Data("----- BEGIN -----BEGI-----BEGIN".utf8),
                             Data("-----BEGIN-----BEGIN ".utf8), Data(repeating: UInt8(ascii: "-"), count: 40)]
        var generator = SystemRandomNumberGenerator()
        let alphabet = [UInt8]("-BEGIN x\n".utf8)
        for _ in 0..<2000 {
            let n = Int.random(in: 0...40, using: &generator)
            cases.append(Data((0..<n).map { _ in alphabet.randomElement(using: &generator)! }))
        }
        for hay in cases {
            XCTAssertEqual(PEM.contains(needle, in: hay), plain(hay), String(decoding: hay, as: UTF8.self))
            // The same bytes inside a slice that does not start at 0.
            let padded = Data("zz".utf8) + hay
            XCTAssertEqual(PEM.contains(needle, in: padded.dropFirst(2)), plain(hay))
        }
    }
}
