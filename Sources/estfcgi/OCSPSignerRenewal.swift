import ESTCA
import Foundation

/// `serve`'s OCSP signers: issued at start for each CA with a key that has none (or one
/// past 2/3 of its life), then re-checked hourly on a thread of its own. A write by the
/// serving process about once an hour, never per request (RFC 6960 §4.2.2.2.1: the
/// delegated responder lives briefly, so it is renewed here rather than by hand).
final class OCSPSignerRenewal: @unchecked Sendable {
    private let administration: CAAdministration
    static let interval: TimeInterval = 3600

    /// `administration` over a store of its own: only this object uses it after start.
    init(_ administration: CAAdministration) { self.administration = administration }

    func runOnce() {
        for line in administration.renewOCSPSigners() { warn(line) }
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
