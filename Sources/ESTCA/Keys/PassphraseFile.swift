import Foundation

/// Passphrases come from files, never the command line: the first line, without its
/// line end. One reader for the store passphrase and for an imported key's.
public enum PassphraseFile {
    /// The store passphrase protects every CA key, so it has a minimum length.
    public static let minimumStoreLength = 8

    public static func read(_ path: String, minimumLength: Int = 1) throws -> String {
        var st = stat()
        guard stat(path, &st) == 0 else { throw CAError.internalFailure("cannot read passphrase file \(path)") }
        // Whoever reads it holds every CA key; the owner (and a web server group) only.
        guard st.st_mode & 0o007 == 0 else {
            throw CAError.internalFailure("passphrase file \(path) is open to others (mode \(String(st.st_mode & 0o777, radix: 8))): chmod 600 it")
        }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw CAError.internalFailure("cannot read passphrase file \(path)")
        }
        let text = String(decoding: data, as: UTF8.self)
        var line = Substring(text.split(separator: "\n", maxSplits: 1, omittingEmptySubsequences: false).first ?? "")
        if line.hasSuffix("\r") { line = line.dropLast() }
        guard line.count >= minimumLength else {
            throw CAError.internalFailure("passphrase in \(path) is shorter than \(minimumLength) characters")
        }
        return String(line)
    }
}
