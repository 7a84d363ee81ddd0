import Foundation

/// Passphrases come from files, never the command line: the first line, without its
/// line end. One reader for the store passphrase and for an imported key's.
public enum PassphraseFile {
    /// The store passphrase protects every CA key, so it has a minimum length.
    public static let minimumStoreLength = 8

    public static func read(_ path: String, minimumLength: Int = 1) throws -> String {
        let data = try contents(path)
        // The store passphrase keeps this reading, which existing keys are sealed under: a
        // Character split, and "\r\n" is one Character, so a CRLF file's line keeps its CR LF
        // here. Every other secret is read by `firstLine`.
        let text = String(decoding: data, as: UTF8.self)
        var line = Substring(text.split(separator: "\n", maxSplits: 1, omittingEmptySubsequences: false).first ?? "")
        if line.hasSuffix("\r") { line = line.dropLast() }
        guard line.count >= minimumLength else {
            throw CAError.internalFailure("passphrase in \(path) is shorter than \(minimumLength) characters")
        }
        return String(line)
    }

    /// The first line's bytes as they are (a secret need not be UTF-8): up to the first LF,
    /// without one CR before it, as `head -1` and a receiver's `readline().rstrip(b'\r\n')`
    /// take it. At least `minimumLength` bytes. For the notification secret (HMAC key), a
    /// token PIN and an imported key's passphrase.
    public static func firstLine(_ path: String, minimumLength: Int = 1) throws -> [UInt8] {
        let data = try contents(path)
        var line = Array(data.prefix { $0 != 0x0A })
        if line.last == 0x0D { line.removeLast() }
        guard line.count >= minimumLength else {
            throw CAError.internalFailure("passphrase in \(path) is shorter than \(minimumLength) bytes")
        }
        return line
    }

    /// The file's bytes, once it is closed to others.
    private static func contents(_ path: String) throws -> Data {
        var st = stat()
        guard stat(path, &st) == 0 else { throw CAError.internalFailure("cannot read passphrase file \(path)") }
        // Whoever reads it holds every CA key; the owner (and a web server group) only.
        guard st.st_mode & 0o007 == 0 else {
            throw CAError.internalFailure("passphrase file \(path) is open to others (mode \(String(st.st_mode & 0o777, radix: 8))): chmod 600 it")
        }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw CAError.internalFailure("cannot read passphrase file \(path)")
        }
        return data
    }
}
