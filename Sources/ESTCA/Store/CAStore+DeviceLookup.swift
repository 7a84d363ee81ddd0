import Foundation

extension CAStore {
    /// The device an operator names: the one of `kind`, or the only one of that name. A name
    /// registered as several kinds needs the kind. CAError.notFound when there is none.
    public func device(named name: String, kind: DeviceIdentifier?) throws -> Device {
        if let kind {
            guard let device = try device(DeviceKey(kind, name)) else { throw CAError.notFound("no device \(name)") }
            return device
        }
        let found = try devices(named: name)
        guard let device = found.first else { throw CAError.notFound("no device \(name)") }
        guard found.count == 1 else {
            throw CAError.badRequest("device \(name) is registered as \(found.map(\.kind.rawValue).joined(separator: " and ")): give --kind")
        }
        return device
    }
}
