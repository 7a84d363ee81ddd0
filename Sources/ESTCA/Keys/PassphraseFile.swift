import Foundation

/// Passphrases come from files, never the command line: the first line, without its
/// line end. One reader for the store passphrase and for an imported key's.
public enum PassphraseFile {
    /// The store passphrase protects every CA key, so it has a minimum length.
    public static let minimumStoreLength = 8

    /// A passphrase (the store's, a token PIN, an imported key's): the first line as
    /// `firstLine` takes it (up to LF, without one CR), as UTF-8 text, at least
    /// `minimumLength` characters.
    public static func read(_ path: String, minimumLength: Int = 1) throws -> String {
        try readings(path, minimumLength: minimumLength).passphrase
    }

    /// The store passphrase, and the texts keys may have been sealed under by earlier
    /// versions, which read a file ending in CR LF with its CR LF (a Character split, where
    /// "\r\n" is one Character): keys sealed then still open (`CAKeyring`), whichever line
    /// end the file has now.
    public static func readings(_ path: String, minimumLength: Int = 1) throws -> (passphrase: String, earlier: [String]) {
        let data = try contents(path)
        let passphrase = String(decoding: firstLine(of: data), as: UTF8.self)
        guard passphrase.count >= minimumLength else {
            throw CAError.internalFailure("passphrase in \(path) is shorter than \(minimumLength) characters")
        }
        let text = String(decoding: data, as: UTF8.self)
        var old = Substring(text.split(separator: "\n", maxSplits: 1, omittingEmptySubsequences: false).first ?? "")
        if old.hasSuffix("\r") { old = old.dropLast() }
        var earlier: [String] = []
        for candidate in [String(old), passphrase + "\r\n"] where candidate != passphrase && !earlier.contains(candidate) {
            earlier.append(candidate)
        }
        return (passphrase, earlier)
    }

    /// The first line's bytes as they are (a secret need not be UTF-8): up to the first LF,
    /// without one CR before it, as `head -1` and a receiver's `readline().rstrip(b'\r\n')`
    /// take it. At least `minimumLength` bytes. For the notification secret (HMAC key).
    public static func firstLine(_ path: String, minimumLength: Int = 1) throws -> [UInt8] {
        let line = firstLine(of: try contents(path))
        guard line.count >= minimumLength else {
            throw CAError.internalFailure("passphrase in \(path) is shorter than \(minimumLength) bytes")
        }
        return line
    }

    /// Up to the first LF, without one CR before it.
    private static func firstLine(of data: Data) -> [UInt8] {
        var line = Array(data.prefix { $0 != 0x0A })
        if line.last == 0x0D { line.removeLast() }
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
