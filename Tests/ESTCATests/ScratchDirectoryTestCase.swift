import Foundation
import XCTest

/// A test case with a directory of its own (`dir`), made before each test and removed after.
class ScratchDirectoryTestCase: XCTestCase {
    var dir = ""

    override func setUpWithError() throws {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("estfcgi-\(type(of: self))-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    }

    override func tearDown() { try? FileManager.default.removeItem(atPath: dir) }
}
