import ESTCore

/// A device in the registry: its identity (a CSR's commonName, SAN URI or serialNumber, as
/// its profile's `--device-id` says), the one profile it enrolls under, and how it came.
public struct Device: Sendable, Equatable {
    public enum Source: String, Sendable {
        /// Added by an operator (`estfcgi device add`).
        case operator_ = "operator"
        /// Recorded on its first enrollment (`--registration jit`).
        case jit
    }

    public var id: Int64
    /// Which CSR field names it; a device is its kind and its name (`DeviceKey`).
    public var kind: DeviceIdentifier
    public var name: String
    public var profile: String?
    public var status: DeviceStatus
    public var source: Source
    public var createdAt: String
    /// Why and when it was disabled.
    public var disabledReason: String?
    public var disabledAt: String?

    public init(id: Int64, kind: DeviceIdentifier, name: String, profile: String?, status: DeviceStatus, source: Source, createdAt: String,
                disabledReason: String? = nil, disabledAt: String? = nil) {
        self.id = id
        self.kind = kind
        self.name = name
        self.profile = profile
        self.status = status
        self.source = source
        self.createdAt = createdAt
        self.disabledReason = disabledReason
        self.disabledAt = disabledAt
    }

    public var profileName: String { profile ?? "(default)" }
    public var key: DeviceKey { DeviceKey(kind, name) }

    /// A device name as an operator may type it or a CSR may carry it: 1-1024 bytes, no
    /// control, format (bidi overrides) or line-separator characters, which would print
    /// one name as another.
    public static func validate(name: String) throws {
        let refused: Set<Unicode.GeneralCategory> = [.control, .format, .lineSeparator, .paragraphSeparator]
        guard (1...1024).contains(name.utf8.count),
              !name.unicodeScalars.contains(where: { refused.contains($0.properties.generalCategory) }) else {
            throw CAError.badRequest("device name must be 1-1024 bytes without control, format or line-separator characters")
        }
        // Stores and relying parties compare bytes: one spelling per name (see ByteName).
        guard ByteName.isNFC(name) else { throw CAError.badRequest(ByteName.notNFC("device name")) }
    }
}
