/// What of the CSR's subject must equal the bootstrap certificate's on a first enrollment
/// (`--bind-identity`): a device may then only enroll under the name it was made with.
public enum IdentityBinding: String, Sendable, CaseIterable {
    case none
    /// The commonName.
    case cn
    /// The serialNumber attribute (X.520), e.g. a factory serial.
    case serial
}
