/// What `estfcgi device add` did, name by name.
public struct DeviceAddition: Sendable {
    public var added: [String] = []
    /// Already registered under the same profile: left as they were.
    public var present: [String] = []
    /// Registered under another profile: refused (a device enrolls under one profile).
    public var conflicting: [(name: String, profile: String?)] = []

    public init() {}
}
