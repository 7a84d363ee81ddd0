@testable import ESTWebServerConfig
import Foundation
import XCTest

final class WebServerConfigTests: XCTestCase {
    func testNginxDirectivesBlocksQuotesAndComments() throws {
        let config = try NginxConfig(text: """
            server { # a comment with ; and {
                listen 443 ssl;
                ssl_verify_client optional_no_ca;
                location /.well-known/est/ {
                    fastcgi_param SSL_CLIENT_CERT "$ssl_client_escaped_cert"; # quoted
                    fastcgi_param ESTFCGI_AUTH_REALM 'two words;{}';
                    fastcgi_pass unix:/run/x.sock;
                }
            }
            """)
        let server = try XCTUnwrap(config.directives.first)
        XCTAssertEqual(server.name, "server")
        let location = try XCTUnwrap(server.children?.first { $0.name == "location" })
        XCTAssertEqual(location.args, ["/.well-known/est/"])
        XCTAssertEqual(location.line, 4)
        XCTAssertEqual(location.children?.map(\.name), ["fastcgi_param", "fastcgi_param", "fastcgi_pass"])
        XCTAssertEqual(location.children?[0].args, ["SSL_CLIENT_CERT", "$ssl_client_escaped_cert"])
        XCTAssertEqual(location.children?[1].args, ["ESTFCGI_AUTH_REALM", "two words;{}"])
    }

    func testNginxFindingsOfALocation() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("estfcgi-wsc-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let snippet = dir.appendingPathComponent("est-params")
        try "fastcgi_param SSL_CLIENT_CERT $ssl_client_escaped_cert;\nfastcgi_param AUTH_TYPE Basic;\n".write(to: snippet, atomically: true, encoding: .utf8)
        let conf = dir.appendingPathComponent("est.conf")
        try """
            server {
                ssl_verify_client optional_no_ca;
                location /.well-known/est/ { include est-params; fastcgi_pass unix:\(dir.path)/missing.sock; }
            }
            """.write(to: conf, atomically: true, encoding: .utf8)
        let findings = WebServerConfigCheck.nginx(path: conf.path)
        func has(_ level: String, _ text: String) -> Bool { findings.contains { $0.level.rawValue == level && $0.detail.contains(text) } }
        XCTAssertTrue(has("OK", "SSL_CLIENT_CERT from the TLS layer"), "found through the include")
        XCTAssertTrue(has("FAIL", "AUTH_TYPE is set where nginx checks no password"))
        XCTAssertTrue(has("FAIL", "no socket at \(dir.path)/missing.sock"))
        XCTAssertTrue(has("OK", "optional_no_ca"))
    }
}
