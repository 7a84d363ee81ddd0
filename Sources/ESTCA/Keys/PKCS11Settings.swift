/// What a process knows of PKCS#11 beyond the store: the module to load for CAs stored
/// without one (ESTFCGI_PKCS11_MODULE) and the file holding the token's user PIN
/// (ESTFCGI_PKCS11_PIN_FILE), used when a key's URI has no `pin-source=file:`. The command
/// reads the environment; this layer takes values.
public struct PKCS11Settings: Sendable, Equatable {
    public var module: String?
    public var pinFile: String?

    public init(module: String? = nil, pinFile: String? = nil) {
        self.module = module.flatMap { $0.isEmpty ? nil : $0 }
        self.pinFile = pinFile.flatMap { $0.isEmpty ? nil : $0 }
    }
}
