@testable import ESTWebServerConfig
import ESTCA
import Foundation
import XCTest

/// Configs that once made `doctor` run for minutes or crash (issue 20 item 5): each is
/// answered with one FAIL naming the reason, quickly.
final class HostileConfigTests: XCTestCase {
    var dir: URL!

    override func setUpWithError() throws {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("estfcgi-hostile-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: dir) }

    @discardableResult
    func file(_ name: String, _ text: String) throws -> String {
        let url = dir.appendingPathComponent(name)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try text.write(to: url, atomically: false, encoding: .utf8)
        return url.path
    }

    /// The one FAIL `check` gives, which must contain `reason`, within `seconds`.
    func assertFails(_ reason: String, seconds: Double = 15, _ check: () -> [HealthFinding],
                     file: StaticString = #filePath, line: UInt = #line) {
        let start = Date()
        let findings = check()
        XCTAssertLessThan(Date().timeIntervalSince(start), seconds, "took too long", file: file, line: line)
        XCTAssertEqual(findings.count, 1, "\(findings)", file: file, line: line)
        XCTAssertEqual(findings.first?.level, .fail, file: file, line: line)
        XCTAssertTrue(findings.first?.detail.contains(reason) ?? false, "\(findings.first?.detail ?? "nothing") lacks \(reason)", file: file, line: line)
    }

    let server = "server { ssl_verify_client optional_no_ca; location /.well-known/est/ { fastcgi_param SSL_CLIENT_CERT $ssl_client_escaped_cert; fastcgi_pass 127.0.0.1:1; } }\n"

    // MARK: nginx

    func testNginxFileThatIncludesItselfIsACycle() throws {
        // Ten includes of itself: 10^8 files read by the old depth-8 bound.
        let path = try file("self.conf", server + String(repeating: "include self.conf;\n", count: 10))
        assertFails("include cycle: \(path) -> \(path)") { WebServerConfigCheck.nginx(path: path) }
    }

    func testNginxCycleThroughAnotherFileAndAnotherName() throws {
        try file("a.conf", server + "include sub/b.conf;\n")
        try file("sub/b.conf", "include ../a.conf;\n")
        try FileManager.default.createSymbolicLink(atPath: dir.appendingPathComponent("link.conf").path, withDestinationPath: "a.conf")
        let link = dir.appendingPathComponent("link.conf").path
        // The second time round a.conf has another name: the same file by device and inode.
        assertFails("include cycle: \(link) -> \(dir.path)/sub/b.conf -> \(dir.path)/sub/../a.conf") { WebServerConfigCheck.nginx(path: link) }
    }

    func testNginxSameFileInTwoLocationsIsNoCycle() throws {
        try file("params", "fastcgi_param SSL_CLIENT_CERT $ssl_client_escaped_cert;\n")
        let path = try file("est.conf", """
            server { ssl_verify_client optional_no_ca;
              location /.well-known/est/ { include params; fastcgi_pass 127.0.0.1:1; }
              location /.well-known/est/lab/ { include params; fastcgi_pass 127.0.0.1:1; } }
            """)
        let findings = WebServerConfigCheck.nginx(path: path)
        XCTAssertEqual(findings.filter { $0.detail.hasPrefix("SSL_CLIENT_CERT from the TLS layer") }.count, 2, "\(findings)")
    }

    func testNginxBlocksNested200000DeepFailWithoutRecursion() throws {
        let deep = String(repeating: "a {", count: 200_000) + String(repeating: "}", count: 200_000)
        let path = try file("deep.conf", deep)
        assertFails("blocks nested deeper than 64 (at \(path):1)", seconds: 20) { WebServerConfigCheck.nginx(path: path) }
        XCTAssertThrowsError(try NginxConfig(text: deep))
    }

    func testNginxNestingCountsAcrossIncludes() throws {
        try file("inner.conf", String(repeating: "b {", count: 40) + String(repeating: "}", count: 40))
        let path = try file("outer.conf", String(repeating: "a {", count: 40) + "include inner.conf;" + String(repeating: "}", count: 40))
        assertFails("blocks nested deeper than 64 (at \(dir.path)/inner.conf:1)") { WebServerConfigCheck.nginx(path: path) }
    }

    func testNginxGlobOverThousandsOfFiles() throws {
        for i in 0..<1_000 { try file("many/\(i).conf", "# \(i)\n") }
        let path = try file("est.conf", server + "include many/*.conf;\n")
        assertFails("include \(dir.path)/many/*.conf names 1000 files, more than the 512 doctor reads") { WebServerConfigCheck.nginx(path: path) }
    }

    func testNginxGlobLooksThroughBoundedDirectories() throws {
        var limits = ConfigLimits()
        limits.files = 8  // 128 directory entries looked through at most
        for d in 0..<5 { for f in 0..<30 { try file("tree/\(d)/other-\(f)", "") } }
        let path = try file("est.conf", "include tree/*/x*.conf;\n")
        assertFails("include \(dir.path)/tree/*/x*.conf looks through more than 128 directory entries") {
            WebServerConfigCheck.nginx(path: path, limits: limits)
        }
        // Within the bound, the same walk finds what matches, and not dot files.
        try file("tree/3/x1.conf", "a;\n")
        try file("tree/3/.x2.conf", "b;\n")
        limits.files = 16
        XCTAssertEqual(try NginxConfig(path: path, limits: limits).directives.map(\.name), ["a"])
    }

    func testNginxGlobIsExpandedInOrder() throws {
        try file("conf.d/2.conf", "fastcgi_pass 127.0.0.1:1;\n")
        try file("conf.d/1.conf", "fastcgi_param SSL_CLIENT_CERT $ssl_client_escaped_cert;\n")
        let path = try file("est.conf", "server { location /.well-known/est/ { include conf.d/*.conf; include none/*.conf; } }\n")
        let config = try NginxConfig(path: path)
        XCTAssertEqual(config.directives.first?.children?.first?.children?.map(\.name), ["fastcgi_param", "fastcgi_pass"])
        XCTAssertEqual(config.unreadable, [], "a glob that matches nothing is nothing, as for nginx")
    }

    func testNginxHugeFile() throws {
        let path = try file("huge.conf", server + String(repeating: "# padding padding padding padding\n", count: 150_000))
        assertFails("\(path) has 5") { WebServerConfigCheck.nginx(path: path) }
        XCTAssertTrue(WebServerConfigCheck.nginx(path: path)[0].detail.hasSuffix("bytes, more than the 4194304 doctor reads of a file"))
    }

    func testNginxBytesOfAllFilesAreBounded() throws {
        var limits = ConfigLimits()
        limits.fileBytes = 300
        limits.totalBytes = 600
        try file("params", String(repeating: "#", count: 250) + "\n")
        let path = try file("est.conf", "include params; include params; include params;\n")
        assertFails("more than 600 bytes to read in all") { WebServerConfigCheck.nginx(path: path, limits: limits) }
    }

    func testNginxDirectivesAreBounded() throws {
        var limits = ConfigLimits()
        limits.directives = 1_000
        let path = try file("many.conf", String(repeating: "a;", count: 1_001))
        assertFails("more than 1000 directives") { WebServerConfigCheck.nginx(path: path, limits: limits) }
    }

    func testNginxIncludeOfAFIFOIsNotWaitedFor() throws {
        let fifo = dir.appendingPathComponent("fifo").path
        XCTAssertEqual(mkfifo(fifo, 0o600), 0)
        let path = try file("est.conf", server + "include fifo;\n")
        assertFails("\(fifo) is not a regular file") { WebServerConfigCheck.nginx(path: path) }
        assertFails("/dev/zero is not a regular file") { WebServerConfigCheck.nginx(path: "/dev/zero") }
    }

    func testNginxUnbalancedBlocksAreSyntaxErrors() throws {
        XCTAssertThrowsError(try NginxConfig(text: "server { listen 443;")) { XCTAssertTrue("\($0)".contains("never closed"), "\($0)") }
        XCTAssertThrowsError(try NginxConfig(text: "listen 443; } server { }")) { XCTAssertTrue("\($0)".contains("'}' closes no block"), "\($0)") }
        XCTAssertThrowsError(try NginxConfig(text: "server { listen 443 }")) { XCTAssertTrue("\($0)".contains("ends without ';'"), "\($0)") }
    }

    func testNginxCRLFLines() throws {
        let config = try NginxConfig(text: "server {\r\n  listen 443;\r\n  ssl_verify_client optional_no_ca;\r\n}\r\n")
        XCTAssertEqual(config.directives.first?.children?.map(\.name), ["listen", "ssl_verify_client"])
        XCTAssertEqual(config.directives.first?.children?.last?.line, 3)
    }

    // MARK: Apache

    let vhost = """
        <VirtualHost *:443>
            SSLVerifyClient optional_no_ca
            <Location "/.well-known/est/">
                SSLOptions +ExportCertData +StdEnvVars
                ProxyPass "unix:/nonexistent.sock|fcgi://localhost/.well-known/est/"
            </Location>
        </VirtualHost>

        """

    func testApacheFileThatIncludesItselfIsACycle() throws {
        let path = try file("self.conf", vhost + String(repeating: "Include self.conf\n", count: 10))
        assertFails("include cycle: \(path) -> \(path)") { WebServerConfigCheck.apache(path: path) }
    }

    func testApacheDirectoryThatHoldsItselfIsACycle() throws {
        try file("conf.d/x.conf", "# nothing\n")
        try FileManager.default.createSymbolicLink(atPath: dir.appendingPathComponent("conf.d/again").path, withDestinationPath: ".")
        let path = try file("est.conf", vhost + "IncludeOptional conf.d\n")
        assertFails("include cycle: \(path) -> \(dir.path)/conf.d -> \(dir.path)/conf.d/again") { WebServerConfigCheck.apache(path: path) }
    }

    func testApacheSectionsNested200000Deep() throws {
        let deep = String(repeating: "<If x>\n", count: 200_000) + String(repeating: "</If>\n", count: 200_000)
        let path = try file("deep.conf", deep)
        assertFails("sections nested deeper than 64 (at \(path):65)", seconds: 20) { WebServerConfigCheck.apache(path: path) }
    }

    func testApacheGlobOverThousandsOfFiles() throws {
        for i in 0..<1_000 { try file("many/\(i).conf", "# \(i)\n") }
        let path = try file("est.conf", vhost + "IncludeOptional many/*.conf\n")
        assertFails("names 1000 files, more than the 512 doctor reads") { WebServerConfigCheck.apache(path: path) }
    }

    func testApacheHugeFileAndFIFO() throws {
        let path = try file("huge.conf", vhost + String(repeating: "# padding padding padding padding\n", count: 150_000))
        assertFails("more than the 4194304 doctor reads of a file") { WebServerConfigCheck.apache(path: path) }
        let fifo = dir.appendingPathComponent("fifo").path
        XCTAssertEqual(mkfifo(fifo, 0o600), 0)
        assertFails("\(fifo) is not a regular file") { WebServerConfigCheck.apache(path: try! file("est.conf", vhost + "Include fifo\n")) }
    }

    func testApacheUnbalancedSections() throws {
        XCTAssertThrowsError(try ApacheConfig(text: "<Location />\nRequire all granted\n")) { XCTAssertTrue("\($0)".contains("<location> is never closed"), "\($0)") }
        XCTAssertThrowsError(try ApacheConfig(text: "<Location />\n</IfModule>\n")) { XCTAssertTrue("\($0)".contains("</IfModule> closes <location> of line 1"), "\($0)") }
        XCTAssertThrowsError(try ApacheConfig(text: "</Location>\n")) { XCTAssertTrue("\($0)".contains("closes no section"), "\($0)") }
    }

    func testApacheIncludesAreChecked() throws {
        // The vhost split over an included directory: what it sets there counts.
        try file("parts/1-verify.conf", "SSLVerifyClient optional_no_ca\n")
        try file("parts/2-header.conf", "RequestHeader set SSL_CLIENT_CERT \"%{HTTP:X-Cert}e\"\n")
        let path = try file("est.conf", """
            <VirtualHost *:443>
                Include parts/
                IncludeOptional absent/*.conf
                IncludeOptional absent.conf
                Include missing.conf
                <Location "/.well-known/est/">
                    SSLOptions +ExportCertData \\
                        +StdEnvVars
                    ProxyPass "unix:/nonexistent.sock|fcgi://localhost/.well-known/est/"
                </Location>
            </VirtualHost>
            """)
        let findings = WebServerConfigCheck.apache(path: path)
        func has(_ level: HealthFinding.Level, _ subject: String, _ text: String) -> Bool {
            findings.contains { $0.level == level && $0.subject == subject && $0.detail.contains(text) }
        }
        XCTAssertTrue(has(.ok, "apache \(dir.path)/parts/1-verify.conf:1", "SSLVerifyClient optional_no_ca"), "\(findings)")
        XCTAssertTrue(has(.fail, "apache \(dir.path)/parts/2-header.conf:1", "sets SSL_CLIENT_CERT from a request header"), "\(findings)")
        XCTAssertTrue(has(.ok, "apache \(path)", "SSLOptions +ExportCertData"), "continued line: \(findings)")
        XCTAssertTrue(has(.fail, "apache \(path):9", "no socket at /nonexistent.sock"), "line numbers stay the file's: \(findings)")
        XCTAssertEqual(findings.filter { $0.detail.contains("could not be read") }.map(\.detail), ["Include \(dir.path)/missing.conf could not be read; it was not checked"])
    }
}
