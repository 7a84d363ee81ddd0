/// Why a key in a PKCS#11 token could not be used, told apart so that the layer above can
/// answer 503 with a reason and `doctor` can name the fix. No case ever carries the PIN.
public enum PKCS11Error: Error, Equatable, Sendable, CustomStringConvertible {
    /// The URI is not one estfcgi can use (RFC 7512 syntax, or an attribute it refuses).
    case invalidURI(String)
    /// OpenSSL's pkcs11 engine (libp11) is not installed where OpenSSL looks for engines.
    case engineNotInstalled(path: String)
    /// The module file cannot be loaded as a PKCS#11 module.
    case moduleNotLoadable(module: String, reason: String)
    /// No token the URI names is present in any slot of the module.
    case tokenNotPresent(token: String)
    /// The token refused the PIN (CKR_PIN_INCORRECT, CKR_PIN_LEN_RANGE).
    case wrongPIN(token: String)
    /// The token locked the user PIN after too many wrong ones (CKR_PIN_LOCKED).
    case pinLocked(token: String)
    /// The token is there and took the PIN, but holds no private key the URI names.
    case keyNotFound(uri: String)
    /// The key signed, but not as the certificate's public key verifies.
    case keyMismatch(uri: String)
    case other(String)

    public var description: String {
        switch self {
        case .invalidURI(let why): return "PKCS#11 URI: \(why)"
        case .engineNotInstalled(let path): return "OpenSSL's pkcs11 engine is not installed (\(path))"
        case .moduleNotLoadable(let module, let reason): return "PKCS#11 module \(module) cannot be loaded: \(reason)"
        case .tokenNotPresent(let token): return "PKCS#11 token \(token) is not present"
        case .wrongPIN(let token): return "PKCS#11 token \(token) refused the PIN"
        case .pinLocked(let token): return "PKCS#11 token \(token) has its user PIN locked"
        case .keyNotFound(let uri): return "no private key \(uri) in the token"
        case .keyMismatch(let uri): return "the token key \(uri) does not match the CA certificate"
        case .other(let why): return "PKCS#11: \(why)"
        }
    }

    /// What the operator does about it, one line (for `doctor`).
    public var fix: String {
        switch self {
        case .invalidURI: return "give an RFC 7512 URI naming the key: pkcs11:token=LABEL;object=LABEL (or id=%01...)"
        case .engineNotInstalled: return "install libengine-pkcs11-openssl"
        case .moduleNotLoadable: return "give the path of the token's PKCS#11 module (e.g. /usr/lib/softhsm/libsofthsm2.so) with --pkcs11-module or ESTFCGI_PKCS11_MODULE"
        case .tokenNotPresent: return "insert or initialise the token, or correct token= in the URI (list tokens: pkcs11-tool --module MODULE --list-token-slots)"
        case .wrongPIN: return "put the token's user PIN in the PIN file (ESTFCGI_PKCS11_PIN_FILE or pin-source=file:...)"
        case .pinLocked: return "unlock the user PIN with the SO PIN (pkcs11-tool --init-pin --login --login-type so)"
        case .keyNotFound: return "correct object=/id= in the URI (list keys: pkcs11-tool --module MODULE --login --list-objects --type privkey)"
        case .keyMismatch: return "point the URI at the key the CA certificate was made for"
        case .other: return "check the token and its module (pkcs11-tool --module MODULE --list-slots)"
        }
    }
}
