import ArgumentParser
import ESTCA
import ESTSQLiteStore
import Foundation

/// Options every store command takes. The environment (ESTFCGI_*) is read here and
/// nowhere else: the layers below take values.
struct StoreOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("The store: a SQLite file, or a postgresql:// URI without a password (or ESTFCGI_DB).",
                                            valueName: "FILE|URI"))
    var db: String?

    @Option(name: .long, help: ArgumentHelp("File holding the CA key passphrase (or ESTFCGI_KEY_PASSPHRASE_FILE).", valueName: "FILE"))
    var keyPassphraseFile: String?

    @Option(name: .long, help: ArgumentHelp("Key file: a random secret that seals CA keys, for unattended servers and CGI (or ESTFCGI_KEY_FILE).",
                                            valueName: "FILE"))
    var keyFile: String?

    static let environment = ProcessInfo.processInfo.environment

    var path: String {
        get throws {
            if let db, !db.isEmpty { return db }
            if let env = Self.environment["ESTFCGI_DB"], !env.isEmpty { return env }
            throw CAError.badRequest("no store: pass --db FILE|URI or set ESTFCGI_DB")
        }
    }

    /// The store `--db` / ESTFCGI_DB names: a SQLite file or a PostgreSQL database.
    var location: StoreLocation {
        get throws { try StoreLocation(try path) }
    }

    /// The store passphrase, nil when no file is named.
    func passphrase() throws -> String? {
        try passphraseReadings()?.passphrase
    }

    /// The store passphrase and the texts earlier versions read from the same file
    /// (PassphraseFile.readings), nil when no file is named.
    func passphraseReadings() throws -> (passphrase: String, earlier: [String])? {
        guard let file = keyPassphraseFile ?? Self.environment["ESTFCGI_KEY_PASSPHRASE_FILE"], !file.isEmpty else {
            return nil
        }
        return try PassphraseFile.readings(file, minimumLength: PassphraseFile.minimumStoreLength)
    }

    /// The key file's path (--key-file, else ESTFCGI_KEY_FILE), nil when none is named.
    var keyFilePath: String? {
        guard let file = keyFile ?? Self.environment["ESTFCGI_KEY_FILE"], !file.isEmpty else { return nil }
        return file
    }

    /// The key file, read and checked; nil when none is named.
    func readKeyFile() throws -> KeyFile? {
        try keyFilePath.map { try KeyFile.read($0) }
    }

    /// The store of a CGI request (`estfcgi` run as a CGI program): ESTFCGI_DB,
    /// ESTFCGI_KEY_FILE and ESTFCGI_KEY_PASSPHRASE_FILE are variables of the request there (Apache `SetEnv`,
    /// nginx `fastcgi_param` through fcgiwrap), read with the request's other variables.
    static func cgi(_ params: [String: String]) throws -> StoreOptions {
        guard let db = params["ESTFCGI_DB"], !db.isEmpty else {
            throw CAError.internalFailure("ESTFCGI_DB is not set (Apache: SetEnv ESTFCGI_DB FILE; fcgiwrap: fastcgi_param ESTFCGI_DB FILE)")
        }
        // Not `parse([])`: ArgumentParser reflects over the type to parse, and the Swift
        // runtime's type and conformance lookups that costs were the largest item of a CGI
        // request's own CPU (perf, issue 24). Every property is set here: one left at its
        // definition would stop the process when read.
        var options = StoreOptions()
        options.db = db
        // Empty rather than nil: no fallback to another reading of the environment.
        options.keyPassphraseFile = params["ESTFCGI_KEY_PASSPHRASE_FILE"] ?? ""
        options.keyFile = params["ESTFCGI_KEY_FILE"] ?? ""
        return options
    }

    func openStore(create: Bool = false) throws -> any CAStore & VersionedStore {
        try location.open(create: create)
    }

    func keyring(pkcs11: PKCS11Settings = StoreOptions.pkcs11Environment) throws -> CAKeyring {
        let readings = try passphraseReadings()
        return CAKeyring(passphrase: readings?.passphrase, earlierPassphrases: readings?.earlier ?? [], keyFile: try readKeyFile(), pkcs11: pkcs11)
    }

    /// ESTFCGI_PKCS11_MODULE (the module for CAs stored without one) and
    /// ESTFCGI_PKCS11_PIN_FILE (the token's user PIN, held to the passphrase file's rules).
    static var pkcs11Environment: PKCS11Settings {
        PKCS11Settings(module: environment["ESTFCGI_PKCS11_MODULE"], pinFile: environment["ESTFCGI_PKCS11_PIN_FILE"])
    }

    /// The same two as variables of a CGI request (Apache SetEnv, fcgiwrap fastcgi_param).
    static func cgiPKCS11(_ params: [String: String]) -> PKCS11Settings {
        PKCS11Settings(module: params["ESTFCGI_PKCS11_MODULE"], pinFile: params["ESTFCGI_PKCS11_PIN_FILE"])
    }

    func administration() throws -> CAAdministration {
        CAAdministration(try authority())
    }

    func authority(pkcs11: PKCS11Settings = StoreOptions.pkcs11Environment) throws -> CertificateAuthority {
        CertificateAuthority(store: try openStore(), keyring: try keyring(pkcs11: pkcs11))
    }
}
