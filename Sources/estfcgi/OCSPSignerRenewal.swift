import ESTCA
import Foundation

/// `serve`'s OCSP signers: issued at start for each CA with a key that has none (or one
/// past 2/3 of its life), then re-checked hourly on a thread of its own. A write by the
/// serving process about once an hour, never per request (RFC 6960 §4.2.2.2.1: the
/// delegated responder lives briefly, so it is renewed here rather than by hand).
final class OCSPSignerRenewal: @unchecked Sendable {
    private let administration: () throws -> CAAdministration
    static let interval: TimeInterval = 3600

    /// `administration` opens the store afresh for each check: a PostgreSQL connection idle
    /// for an hour may have been dropped by then.
    init(_ administration: @escaping () throws -> CAAdministration) { self.administration = administration }

    func runOnce() {
        do {
            for line in try administration().renewOCSPSigners() { warn(line) }
        } catch {
            warn("OCSP signers not checked: \((error as? CAError)?.reason ?? "\(error)")")
        }
    }

    func startHourly() {
        let thread = Thread { [self] in
            while true {
                Thread.sleep(forTimeInterval: Self.interval)
                runOnce()
            }
        }
        thread.name = "ocsp-signer-renewal"
        thread.start()
    }
}
