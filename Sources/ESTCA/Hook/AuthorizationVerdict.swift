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
        // RFC 8259 §4: with a name repeated, parsers differ on which value counts
        // (Foundation takes the first, Python's json the last): {"allow": true, "allow":
        // false} is no clear answer, whatever the hook meant (it may have built its JSON from
        // client text).
        // RFC 8259 §8.1: UTF-8 only (JSONDecoder also reads UTF-16 and UTF-32, where the
        // names could not be checked).
        guard let names = topLevelNames(body) else { return .failed("answer is not JSON in UTF-8") }
        guard Set(names).count == names.count else { return .failed("answer repeats a name in its JSON object") }
        return answer.allow ? .allow : .deny(answer.reason)
    }

    /// The member names of a JSON object's top level, unescaped, in order; nil when `body`
    /// is not a JSON object (the caller has checked it is JSON already).
    static func topLevelNames(_ body: [UInt8]) -> [String]? {
        var i = 0
        func skipSpace() { while i < body.count, [0x20, 0x09, 0x0A, 0x0D].contains(body[i]) { i += 1 } }
        /// The index after the string that starts (with its quote) at `start`.
        func endOfString(_ start: Int) -> Int? {
            var j = start + 1
            while j < body.count {
                switch body[j] {
                case UInt8(ascii: "\\"): j += 2
                case UInt8(ascii: "\""): return j + 1
                default: j += 1
                }
            }
            return nil
        }
        if body.starts(with: [0xEF, 0xBB, 0xBF]) { i = 3 } // a UTF-8 BOM, which JSONDecoder skips
        skipSpace()
        guard i < body.count, body[i] == UInt8(ascii: "{") else { return nil }
        i += 1
        var names: [String] = []
        skipSpace()
        if i < body.count, body[i] == UInt8(ascii: "}") { return names }
        while true {
            skipSpace()
            guard i < body.count, body[i] == UInt8(ascii: "\""), let end = endOfString(i),
                  let name = try? JSONDecoder().decode([String].self, from: Data([UInt8(ascii: "[")] + body[i..<end] + [UInt8(ascii: "]")])).first
            else { return nil }
            names.append(name)
            i = end
            skipSpace()
            guard i < body.count, body[i] == UInt8(ascii: ":") else { return nil }
            i += 1
            // The value: up to the comma or brace that ends it at this depth.
            var depth = 0
            valueLoop: while i < body.count {
                switch body[i] {
                case UInt8(ascii: "\""):
                    guard let end = endOfString(i) else { return nil }
                    i = end
                    continue valueLoop
                case UInt8(ascii: "{"), UInt8(ascii: "["): depth += 1
                case UInt8(ascii: "}"), UInt8(ascii: "]"):
                    if depth == 0 { break valueLoop }
                    depth -= 1
                case UInt8(ascii: ","): if depth == 0 { break valueLoop }
                default: break
                }
                i += 1
            }
            guard i < body.count else { return nil }
            if body[i] == UInt8(ascii: "}") { return names }
            guard body[i] == UInt8(ascii: ",") else { return nil }
            i += 1
        }
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
