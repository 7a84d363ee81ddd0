import ESTCore
import ESTOpenSSL

/// Which field of a CSR names the device (`--device-id`).
public enum DeviceIdentifier: String, Sendable, CaseIterable {
    /// The subject commonName.
    case cn
    /// A uniformResourceIdentifier subjectAltName (e.g. a urn:dev: or DID).
    case sanURI = "san-uri"
    /// The subject serialNumber attribute (X.520), e.g. a factory serial.
    case serialNumber = "serial"

    public static let names = allCases.map(\.rawValue).joined(separator: "|")

    /// The device a CSR names, nil when it names none. Two different values are refused:
    /// relying parties differ on which one they read.
    public func device(subject: DistinguishedName, subjectAltName: [GeneralName]) throws -> String? {
        let values: [String]
        switch self {
        case .cn: values = subject.values(of: .commonName)
        case .serialNumber: values = subject.values(of: .serialNumber)
        case .sanURI: values = subjectAltName.compactMap { if case .uri(let u) = $0 { return u } else { return nil } }
        }
        guard let first = values.first else { return nil }
        // Byte equality: an NFC and an NFD spelling are two names to a relying party.
        guard values.allSatisfy({ ByteName.same($0, first) }) else {
            throw CAError.badRequest("CSR names \(values.count) different devices (\(rawValue)); it must name one")
        }
        return first
    }
}
