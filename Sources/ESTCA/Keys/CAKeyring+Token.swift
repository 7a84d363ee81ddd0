import ESTOpenSSL
import Foundation

/// CA keys in a PKCS#11 token: logged in and loaded once per process (on first use, under
/// the keyring's lock), then used by every worker thread; the token signs, the key never
/// leaves it. A failure is not cached: the next request tries again (a token that comes
/// back, a corrected PIN file). While serving, every failure is a 503 with the reason.
extension CAKeyring {
    /// Why a token key cannot be used: the token's own error, or the PIN file or module.
    public enum TokenProblem: Error, CustomStringConvertible {
        case token(PKCS11Error)
        case setup(String, fix: String)

        public var description: String {
            switch self {
            case .token(let e): return e.description
            case .setup(let why, _): return why
            }
        }

        public var fix: String {
            switch self {
            case .token(let e): return e.fix
            case .setup(_, let fix): return fix
            }
        }
    }

    static let pinFix = "put the token's user PIN in a file of mode 600 and name it with ESTFCGI_PKCS11_PIN_FILE or pin-source=file:/PATH in the URI"

    /// The module `reference` is used with: its own, else the process's.
    func module(for reference: TokenKeyReference) -> String? { reference.module ?? pkcs11.module }

    /// The token key `reference` names, logged in with the PIN from its file. Throws TokenProblem.
    public func loadTokenKey(_ reference: TokenKeyReference) throws -> PrivateKey {
        guard let module = module(for: reference) else {
            throw TokenProblem.setup("no PKCS#11 module given",
                                     fix: "give the module with --pkcs11-module when creating the CA, or set ESTFCGI_PKCS11_MODULE (e.g. /usr/lib/softhsm/libsofthsm2.so)")
        }
        let cacheKey = module + "\n" + reference.uriText
        if let key = tokenLock.withLock({ tokenCache[cacheKey] }) { return key }
        guard let pinFile = reference.uri.pinSource ?? pkcs11.pinFile else {
            throw TokenProblem.setup("no PIN for token \(reference.uri.tokenDescription)", fix: Self.pinFix)
        }
        let pin: String
        do { pin = try PassphraseFile.read(pinFile) }
        catch {
            // PassphraseFile's reasons name the file and its mode, never its content.
            let why = ((error as? CAError)?.reason ?? "cannot read \(pinFile)").replacingOccurrences(of: "passphrase", with: "PIN")
            throw TokenProblem.setup(why, fix: Self.pinFix)
        }
        // Serialised with other loads: libp11 holds the PIN as engine state while it logs in.
        return try tokenLock.withLock {
            if let key = tokenCache[cacheKey] { return key }
            let key: PrivateKey
            do { key = try PrivateKey.token(uri: reference.uri, module: module, pin: pin) }
            catch let e as PKCS11Error { throw TokenProblem.token(e) }
            catch { throw TokenProblem.token(.other("\(error)")) }
            tokenCache[cacheKey] = key
            return key
        }
    }

    /// `loadTokenKey` with its failure as the CAError a CA operation throws: 503, so that a
    /// client retries and the log line (and the CLI's one line) has the reason and the fix.
    func tokenSigningKey(for ca: CARecord, _ reference: TokenKeyReference) throws -> PrivateKey {
        do { return try loadTokenKey(reference) }
        catch let p as TokenProblem {
            throw CAError.unavailable("CA '\(ca.name)' key in PKCS#11 token \(reference.uri.tokenDescription): \(p.description); fix: \(p.fix)")
        }
    }
}
