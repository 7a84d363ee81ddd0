import ESTHTTP
import Foundation

/// A profile's external authorization hook (issue 25): after estfcgi's own checks pass
/// and before anything is signed, the operator's service (a URL) or program (a command)
/// sees the request and allows or denies it. It fails closed: no clear answer is a 503.
public struct AuthorizationHook: Sendable, Equatable {
    public enum Target: Sendable, Equatable {
        /// POST the request document to this http(s) URL.
        case url(String)
        /// Run this program (absolute path, no shell) with the document on stdin.
        case command(String)
    }

    public var target: Target
    /// How long the hook may take, connecting and answering (or running) together.
    public var timeoutMilliseconds: Int = AuthorizationHook.defaultTimeoutMilliseconds
    /// PEM file of the CAs that verify an https hook (default: the system's).
    public var caFile: String? = nil
    /// PEM files of the client certificate and its unencrypted key for mutual TLS to the hook.
    public var clientCertificateFile: String? = nil
    public var clientKeyFile: String? = nil

    public static let defaultTimeoutMilliseconds = 2000
    public static let timeoutRange = 1...60_000

    public init(target: Target) { self.target = target }

    public var url: String? { if case .url(let u) = target { return u }; return nil }
    public var command: String? { if case .command(let c) = target { return c }; return nil }

    /// The settings' own limits; file contents are read only when the hook is called.
    public func validate() throws(CAError) {
        guard Self.timeoutRange.contains(timeoutMilliseconds) else {
            throw .badRequest("--authorize-timeout-ms must be \(Self.timeoutRange.lowerBound)-\(Self.timeoutRange.upperBound)")
        }
        switch target {
        case .url(let url):
            do { try HTTPClient.checkURL(url) } catch { throw .badRequest("--authorize-url: \(error)") }
            // `profile show` and `profile list` print the URL: a password there would be everyone's.
            if let parsed = URLComponents(string: url), parsed.user != nil || parsed.password != nil {
                throw .badRequest("--authorize-url must not hold credentials (use --authorize-client-cert and --authorize-client-key)")
            }
            let https = url.lowercased().hasPrefix("https://")
            if caFile != nil || clientCertificateFile != nil, !https {
                throw .badRequest("--authorize-ca and --authorize-client-cert need an https:// --authorize-url")
            }
            guard (clientCertificateFile == nil) == (clientKeyFile == nil) else {
                throw .badRequest("--authorize-client-cert and --authorize-client-key go together")
            }
            for (option, file) in [("--authorize-ca", caFile), ("--authorize-client-cert", clientCertificateFile),
                                   ("--authorize-client-key", clientKeyFile)] {
                if let file { try Self.checkPath(file, option) }
            }
        case .command(let path):
            guard caFile == nil, clientCertificateFile == nil, clientKeyFile == nil else {
                throw .badRequest("--authorize-ca and --authorize-client-cert/-key are for --authorize-url, not --authorize-command")
            }
            try Self.checkPath(path, "--authorize-command")
        }
    }

    /// An absolute path (the responder's working directory is not the operator's), one line.
    static func checkPath(_ path: String, _ option: String) throws(CAError) {
        guard path.hasPrefix("/"), path.utf8.count <= 1024,
              !path.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) else {
            throw .badRequest("\(option) takes an absolute path (at most 1024 bytes, no control characters)")
        }
    }
}
