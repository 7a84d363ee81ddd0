import Foundation

/// What a hook answered, read strictly: only a clear allow issues.
public enum AuthorizationVerdict: Sendable, Equatable {
    case allow
    /// Denied, with the hook's reason as it gave it (the caller bounds and escapes it).
    case deny(String?)
    /// No clear answer: a timeout, a non-200, a body that is not the expected JSON, a
    /// command that crashed or exited other than 0 or 1. The hook fails closed (503).
    case failed(String)

    /// The outcome label of the metrics and the audit: allow, deny or error.
    public var outcome: String {
        switch self {
        case .allow: return "allow"
        case .deny: return "deny"
        case .failed: return "error"
        }
    }

    /// An HTTP hook's answer: status 200 and a JSON object whose "allow" is a boolean; a
    /// "reason" string is kept for a denial. Anything else failed.
    public static func fromHTTP(status: Int, body: [UInt8]) -> AuthorizationVerdict {
        guard status == 200 else { return .failed("answered HTTP \(status)") }
        struct Answer: Decodable {
            var allow: Bool
            var reason: String?
        }
        // JSONDecoder takes only true/false for a Bool (not 1, not "true").
        guard let answer = try? JSONDecoder().decode(Answer.self, from: Data(body)) else {
            return .failed("answer is not a JSON object with a boolean \"allow\"")
        }
        return answer.allow ? .allow : .deny(answer.reason)
    }

    /// A command hook's end: exit 0 allows, exit 1 denies with the first line of its output.
    public static func fromCommand(_ run: ProgramRun) -> AuthorizationVerdict {
        switch run.end {
        case .exited(0): return .allow
        case .exited(1):
            let first = run.output.split(separator: 0x0A, maxSplits: 1, omittingEmptySubsequences: false).first ?? []
            var line = String(decoding: first, as: UTF8.self)
            if line.hasSuffix("\r") { line.removeLast() }
            return .deny(line.isEmpty ? nil : line)
        case .exited(let code): return .failed("command exited \(code)")
        case .signalled(let signal): return .failed("command killed by signal \(signal)")
        case .timedOut(let ms): return .failed("command did not finish within \(ms) ms (killed)")
        case .notStarted(let why): return .failed("command did not start: \(why)")
        }
    }
}
