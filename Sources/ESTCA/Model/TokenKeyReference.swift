import ESTOpenSSL

/// Where a CA key in a PKCS#11 token is: the RFC 7512 URI naming it (no PIN: the URI parser
/// refuses pin-value) and the module file given when the CA was made (nil: the process's
/// ESTFCGI_PKCS11_MODULE). The store keeps these two, never key material nor the PIN.
public struct TokenKeyReference: Sendable, Equatable {
    public let uri: PKCS11URI
    public let module: String?

    /// A stored URI's module-path is not used: only the operator's --pkcs11-module or
    /// ESTFCGI_PKCS11_MODULE chooses which library the process loads.
    public init(uri: PKCS11URI, module: String?) {
        var uri = uri
        uri.modulePath = nil
        self.uri = uri
        self.module = module
    }

    /// From the store's columns.
    public init(stored uri: String, module: String?) throws {
        self.init(uri: try PKCS11URI(uri), module: module)
    }

    /// As the store keeps it (canonical, parses back to the same value).
    public var uriText: String { uri.description }
}
