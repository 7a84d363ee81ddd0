import Foundation

extension TimeInterval {
    /// `n` days of 86,400 seconds (validity periods and windows are whole days).
    public static func days(_ n: Int) -> TimeInterval { TimeInterval(n) * 86_400 }
}
