import ESTOpenSSL
import Foundation

/// What issuance policy and the EST operations need from persistence. SQLite implements
/// it today; another backend (PostgreSQL) implements the same contract: every method is
/// atomic, and `recordIssued` commits before it returns.
public protocol CAStore: AnyObject {
    func profile(label: String?) throws -> Profile?
    func ca(named name: String) throws -> CARecord?
    func allCAs() throws -> [CARecord]
    /// The decrypted signing key of `ca`; CAError.internalFailure when it has none or
    /// the passphrase is missing or wrong.
    func signingKey(for ca: CARecord) throws -> PrivateKey
    func issuedCertificate(fingerprint: String) throws -> IssuedCertificate?
    /// Records `certificate` (issued by `issuer` under `profile`) and, when `replaces` is
    /// given with `revokeReplaced`, revokes it as superseded, in one transaction.
    /// Throws `SerialCollision` when the serial is already used by that issuer.
    func recordIssued(_ certificate: Certificate, issuer: CARecord, profile: String?, requester: String?,
                      replaces: IssuedCertificate?, revokeReplaced: Bool) throws -> IssuedCertificate
    func recordAudit(_ event: AuditEvent) throws
    /// A certificate this store holds (issued or CA) whose subjectKeyIdentifier is `ski`.
    func certificate(keyIdentifier ski: Data) throws -> Certificate?
}

/// The serial was already taken for that issuer (retry with a fresh one).
public struct SerialCollision: Error {}

/// Where CA key passphrases come from: a file named on the command line or by
/// ESTFCGI_KEY_PASSPHRASE_FILE, never the command line itself.
public enum KeyPassphrase {
    public static let environmentVariable = "ESTFCGI_KEY_PASSPHRASE_FILE"

    /// Reads the passphrase (first line, trailing newline removed); nil when none named.
    public static func load(file: String?) throws -> String? {
        guard let path = file ?? ProcessInfo.processInfo.environment[environmentVariable], !path.isEmpty else {
            return nil
        }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw CAError.internalFailure("cannot read key passphrase file \(path)")
        }
        let text = String(decoding: data, as: UTF8.self)
        let line = text.split(separator: "\n", maxSplits: 1, omittingEmptySubsequences: false).first.map(String.init) ?? ""
        let pass = line.hasSuffix("\r") ? String(line.dropLast()) : line
        guard pass.count >= 8 else { throw CAError.internalFailure("key passphrase in \(path) is shorter than 8 characters") }
        return pass
    }
}
