import Foundation

/// Passphrases come from files, never the command line: the first line, without its
/// line end. One reader for the store passphrase and for an imported key's.
public enum PassphraseFile {
    /// The store passphrase protects every CA key, so it has a minimum length.
    public static let minimumStoreLength = 8

    public static func read(_ path: String, minimumLength: Int = 1) throws -> String {
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
