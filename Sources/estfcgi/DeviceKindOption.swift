import ArgumentParser
import ESTCA

/// `--kind`: which kind of device ID an operator names, for a name registered as several.
struct DeviceKindOption: ParsableArguments {
    @Option(help: ArgumentHelp("The kind of device ID (as a profile's --device-id reads it), when the name is registered as several kinds.",
                               valueName: DeviceIdentifier.names))
    var kind: String?

    func parsed() throws -> DeviceIdentifier? {
        try kind.map { k throws(CAError) in try Profile.deviceID(parsing: k) }
    }
}
