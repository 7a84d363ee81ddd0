/// One line of `estfcgi doctor`: what was checked, how it stands, and what to do about it.
public struct HealthFinding: Sendable, Equatable {
    public enum Level: String, Sendable, Comparable {
        case ok = "OK", warn = "WARN", fail = "FAIL"

        public static func < (a: Level, b: Level) -> Bool { a.rank < b.rank }
        private var rank: Int { self == .ok ? 0 : self == .warn ? 1 : 2 }
    }

    public var level: Level
    /// What it is about: `store`, `passphrase`, `ca issuing`, `profile iot`, `nginx FILE:LINE`.
    public var subject: String
    public var detail: String
    /// How to mend it; empty for OK.
    public var fix: String

    public init(_ level: Level, _ subject: String, _ detail: String, fix: String = "") {
        self.level = level
        self.subject = subject
        self.detail = detail
        self.fix = fix
    }
}
