import Foundation

/// Store timestamps: ISO 8601 UTC to the second ("2026-11-29T06:23:45Z"). They sort as
/// text, so SQL range filters work on them directly.
public enum Timestamp {
    public static func string(_ date: Date) -> String {
        var t = time_t(date.timeIntervalSince1970.rounded(.down))
        var parts = tm()
        gmtime_r(&t, &parts)
        let year = parts.tm_year + 1900
        guard (0...9999).contains(year) else {
            return String(format: "%04d-%02d-%02dT%02d:%02d:%02dZ", year, parts.tm_mon + 1, parts.tm_mday,
                          parts.tm_hour, parts.tm_min, parts.tm_sec)
        }
        // By hand: String(format:) went through Foundation's CFString formatter and cost
        // about 2 % of an enrollment (it formats four stamps each).
        var out = [UInt8](repeating: 0, count: 20)
        func put(_ value: Int32, _ at: Int, _ width: Int) {
            var v = max(0, value)
            for i in stride(from: at + width - 1, through: at, by: -1) {
                out[i] = UInt8(48 + v % 10)
                v /= 10
            }
        }
        put(year, 0, 4); out[4] = 45
        put(parts.tm_mon + 1, 5, 2); out[7] = 45
        put(parts.tm_mday, 8, 2); out[10] = 84
        put(parts.tm_hour, 11, 2); out[13] = 58
        put(parts.tm_min, 14, 2); out[16] = 58
        put(parts.tm_sec, 17, 2); out[19] = 90
        return String(decoding: out, as: UTF8.self)
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
