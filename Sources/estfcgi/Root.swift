import ArgumentParser
import ESTCA
import ESTCore
import Foundation

struct EstfcgiCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "estfcgi",
        abstract: "EST (RFC 7030) certificate enrollment responder for nginx and Apache, with its CA store.",
        version: Version.current,
        subcommands: [Init.self, CA.self, ProfileCommand.self, Cert.self, DeviceCommand.self, RequestCommand.self, CRLCommand.self, Bootstrap.self,
                      Audit.self, Stats.self, Doctor.self, StoreCommand.self, NotifyCommand.self, Serve.self])

    /// Like `main()`, but every failure is exactly one line (no usage dump), so that
    /// operators' scripts can log it.
    static func main_() {
        // Started by a web server as a CGI program: answer its one request and exit, before
        // any argument parsing (which would print usage on stdout, a broken CGI answer).
        CGICommand.runIfCGI()
        do {
            var command = try parseAsRoot()
            try command.run()
        } catch let e as ExitCode {
            // A command that printed its own verdict (doctor): its status, no error line.
            Foundation.exit(e.rawValue)
        } catch let e as ESTStatusError {
            fail(e.reason, code: 1)
        } catch let e as StoreError {
            fail(CAError(e).reason, code: 1)
        } catch {
            if exitCode(for: error) == .success { exit(withError: error) }
            let message = fullMessage(for: error).split(separator: "\n").first.map(String.init) ?? "\(error)"
            fail(message.hasPrefix("Error: ") ? String(message.dropFirst(7)) : message, code: exitCode(for: error).rawValue)
        }
    }

    static func fail(_ message: String, code: Int32) -> Never {
        warn("error: \(message)")
        Foundation.exit(code == 0 ? 1 : code)
    }
}

/// One line `estfcgi: MESSAGE` on stderr (fd 2: Swift 6 rejects the `stderr` global).
func warn(_ message: String) {
    let line = "estfcgi: \(PrintableText.escaped(message))\n"
    line.withCString { _ = write(2, $0, strlen($0)) }
}
