import Foundation
import XCTest

/// A throwaway SoftHSM2 token store for this test run: its own config (SOFTHSM2_CONF, set
/// before any module loads, since a module reads it once per process) and tokens made with
/// SoftHSM's and OpenSC's own tools, as an operator would.
///   - token "estca" (PIN 1234): EC P-256 key "ec" (id 01), RSA 2048 key "rsa" (id 02), EC
///     P-256 key "CA key;1%" (id 03: a label that needs percent-encoding);
///   - token "pintest" (PIN 1234): key "k"; only ever given wrong PINs (a process that
///     logged in once stays logged in, so a right PIN there would hide a later wrong one).
final class SoftHSMFixture: @unchecked Sendable {
    static let module = "/usr/lib/softhsm/libsofthsm2.so"
    static let pin = "1234"
    /// Set (to the fixture's directory) in a child process the tests start.
    static let childVariable = "ESTFCGI_TEST_SOFTHSM_DIR"
    let directory: URL

    /// Made once per test run; nil (with the reason) when SoftHSM2 is not installed.
    nonisolated(unsafe) private static var made: Result<SoftHSMFixture, Error>?
    private static let lock = NSLock()

    static func shared() throws -> SoftHSMFixture {
        lock.lock()
        defer { lock.unlock() }
        if made == nil { made = Result { try SoftHSMFixture() } }
        return try made!.get()
    }

    /// Removes this run's token store (not a parent's, in a child process).
    static func removeStore() {
        lock.lock()
        defer { lock.unlock() }
        guard ProcessInfo.processInfo.environment[childVariable] == nil, case .success(let hsm)? = made else { return }
        try? FileManager.default.removeItem(at: hsm.directory)
    }

    private init() throws {
        guard FileManager.default.fileExists(atPath: Self.module),
              let util = Self.which("softhsm2-util"), Self.which("pkcs11-tool") != nil else {
            print("NOTICE: softhsm2/opensc not installed (scripts/install-deps): PKCS#11 tests skipped")
            throw XCTSkip("softhsm2 not installed")
        }
        if let parent = ProcessInfo.processInfo.environment[Self.childVariable] {
            // A child process of a test: the parent's tokens, as they are.
            directory = URL(fileURLWithPath: parent)
            setenv("SOFTHSM2_CONF", directory.appendingPathComponent("softhsm2.conf").path, 1)
            return
        }
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("estfcgi-softhsm-\(getpid())-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory.appendingPathComponent("tokens"), withIntermediateDirectories: true)
        let conf = directory.appendingPathComponent("softhsm2.conf")
        try "directories.tokendir = \(directory.path)/tokens\nobjectstore.backend = file\nlog.level = ERROR\n"
            .write(to: conf, atomically: true, encoding: .utf8)
        setenv("SOFTHSM2_CONF", conf.path, 1)
        for label in ["estca", "pintest"] {
            try Self.run(util, ["--init-token", "--free", "--label", label, "--pin", Self.pin, "--so-pin", "5678"])
        }
        try keygen(token: "estca", type: "EC:prime256v1", label: "ec", id: "01")
        try keygen(token: "estca", type: "rsa:2048", label: "rsa", id: "02")
        try keygen(token: "estca", type: "EC:prime256v1", label: "CA key;1%", id: "03")
        try keygen(token: "pintest", type: "EC:prime256v1", label: "k", id: "01")
    }

    private func keygen(token: String, type: String, label: String, id: String) throws {
        try Self.run(Self.which("pkcs11-tool")!, ["--module", Self.module, "--token-label", token, "--login", "--pin", Self.pin,
                                                 "--keypairgen", "--key-type", type, "--label", label, "--id", id])
    }

    static func which(_ tool: String) -> String? {
        for dir in ["/usr/bin", "/usr/sbin", "/bin", "/usr/local/bin"] where FileManager.default.isExecutableFile(atPath: "\(dir)/\(tool)") {
            return "\(dir)/\(tool)"
        }
        return nil
    }

    /// Runs a tool; throws with its output when it fails.
    @discardableResult
    static func run(_ tool: String, _ arguments: [String], in directory: URL? = nil) throws -> String {
        let (status, output) = try start(tool, arguments, in: directory).wait()
        guard status == 0 else {
            throw NSError(domain: "SoftHSMFixture", code: Int(status),
                          userInfo: [NSLocalizedDescriptionKey: "\(tool) \(arguments.joined(separator: " ")): \(output)"])
        }
        return output
    }

    /// A started process; `wait()` gives its status and output (stdout and stderr together).
    static func start(_ tool: String, _ arguments: [String], in directory: URL? = nil,
                      environment extra: [String: String] = [:]) throws -> Running {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: tool)
        process.arguments = arguments
        var environment = ProcessInfo.processInfo.environment
        if let conf = getenv("SOFTHSM2_CONF") { environment["SOFTHSM2_CONF"] = String(cString: conf) }
        process.environment = environment.merging(extra) { $1 }
        if let directory { process.currentDirectoryURL = directory }
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        return Running(process: process, pipe: pipe)
    }

    struct Running {
        let process: Process
        let pipe: Pipe
        func wait() -> (Int32, String) {
            let data = pipe.fileHandleForReading.readDataToEndOfFile()
            process.waitUntilExit()
            return (process.terminationStatus, String(decoding: data, as: UTF8.self))
        }
    }
}
