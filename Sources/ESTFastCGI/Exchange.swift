import ESTCore
import Foundation

/// One request through the EST core, whatever carried it (a FastCGI stream, a CGI
/// program's stdin): refusals that need no body are answered without reading it
/// (`ESTService.admit`); else the body is read up to the cap and `deadline`, and the
/// request goes on from what its head was admitted with.
enum Exchange {
    /// `read(n, deadline)` returns up to `n` bytes, empty at EOF, nil when nothing came
    /// before the deadline.
    static func answer(params: [String: String], service: ESTService, deadline: ContinuousClock.Instant,
                       read: (Int, ContinuousClock.Instant) -> [UInt8]?) -> ESTOutcome {
        let head = ESTRequest(params: params)
        let admission: ESTService.Admission
        switch service.admit(head) {
        case .refused(let refusal): return refusal
        case .admitted(let admitted): admission = admitted
        }
        var stalled = false
        let (body, truncated, timedOut) = RequestBody.read(declaredLength: head.declaredLength, cap: ESTService.maxBodyBytes,
                                                           deadline: deadline) { wanted in
            guard let chunk = read(wanted, deadline) else { stalled = true; return [] }
            return chunk
        }
        return service.handle(ESTRequest(params: params, body: body, bodyTruncated: truncated, bodyTimedOut: timedOut || stalled),
                              admitted: admission)
    }
}
