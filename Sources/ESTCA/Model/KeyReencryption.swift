/// One stored key re-encrypted under another protection (`ca rekey-protection`): which row
/// holds it, the encrypted key it replaces (checked in the transaction: a key changed
/// meanwhile, by a rollover or another re-encryption, fails the whole change) and the new one.
public struct KeyReencryption: Sendable, Equatable {
    public enum Holder: Sendable, Equatable, CustomStringConvertible {
        /// A CA's current key.
        case ca(String)
        /// An earlier generation's key (`CAGeneration.id`), of the CA named.
        case generation(id: Int64, ca: String)
        /// The key of a CA's delegated OCSP responder.
        case ocspSigner(ca: String)

        public var description: String {
            switch self {
            case .ca(let name): return "CA '\(name)'"
            case .generation(let id, let name): return "CA '\(name)' generation \(id)"
            case .ocspSigner(let name): return "OCSP signer of CA '\(name)'"
            }
        }
    }

    public var holder: Holder
    public var oldPEM: String
    public var newPEM: String
    /// What the key_protection column records for `newPEM`.
    public var protection: String { KeyProtection.of(pem: newPEM).rawValue }

    public init(holder: Holder, oldPEM: String, newPEM: String) {
        self.holder = holder
        self.oldPEM = oldPEM
        self.newPEM = newPEM
    }
}
