import ArgumentParser
import ESTCA

/// `--pkcs11-key URI [--pkcs11-module PATH]` of `ca create` and `ca import`: a CA key in a
/// PKCS#11 token. The PIN never comes from the command line: ESTFCGI_PKCS11_PIN_FILE or
/// pin-source=file: in the URI.
struct PKCS11KeyOptions: ParsableArguments {
    @Option(name: .customLong("pkcs11-key"), help: ArgumentHelp(
        "RFC 7512 URI of the CA key in a PKCS#11 token (pkcs11:token=T;object=O, or id=%01); PIN from ESTFCGI_PKCS11_PIN_FILE or pin-source=file:PATH.",
        valueName: "URI"))
    var pkcs11Key: String?

    @Option(name: .customLong("pkcs11-module"), help: ArgumentHelp(
        "The token's PKCS#11 module, stored with the CA (else ESTFCGI_PKCS11_MODULE when used).", valueName: "PATH"))
    var pkcs11Module: String?

    /// Nil without --pkcs11-key. The module given is stored; without one, the module of the
    /// environment is used now and whenever the key is used, but not stored.
    func reference() throws -> TokenKeyReference? {
        guard let pkcs11Key else {
            if pkcs11Module != nil { throw CAError.badRequest("--pkcs11-module goes with --pkcs11-key") }
            return nil
        }
        return try CAAdministration.tokenKeyReference(uri: pkcs11Key, module: pkcs11Module)
    }
}
