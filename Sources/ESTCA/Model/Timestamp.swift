import Foundation

/// Store timestamps: ISO 8601 UTC to the second ("2026-11-29T06:23:45Z"). They sort as
/// text, so SQL range filters work on them directly.
public enum Timestamp {
    public static func string(_ date: Date) -> String {
        var t = time_t(date.timeIntervalSince1970.rounded(.down))
        var parts = tm()
        gmtime_r(&t, &parts)
        return String(format: "%04d-%02d-%02dT%02d:%02d:%02dZ", parts.tm_year + 1900, parts.tm_mon + 1, parts.tm_mday,
                      parts.tm_hour, parts.tm_min, parts.tm_sec)
    }

    public static func date(_ string: String) -> Date? {
        // Exactly YYYY-MM-DDTHH:MM:SSZ.
        let u = Array(string.utf8)
        guard u.count == 20, u[4] == 45, u[7] == 45, u[10] == 84, u[13] == 58, u[16] == 58, u[19] == 90 else { return nil }
        func num(_ r: Range<Int>) -> Int32? {
            var v: Int32 = 0
            for b in u[r] { guard (48...57).contains(b) else { return nil }; v = v * 10 + Int32(b - 48) }
            return v
        }
        guard let y = num(0..<4), let mo = num(5..<7), let d = num(8..<10), let h = num(11..<13),
              let mi = num(14..<16), let se = num(17..<19) else { return nil }
        var parts = tm()
        parts.tm_year = y - 1900; parts.tm_mon = mo - 1; parts.tm_mday = d
        parts.tm_hour = h; parts.tm_min = mi; parts.tm_sec = se
        return Date(timeIntervalSince1970: TimeInterval(timegm(&parts)))
    }
}
