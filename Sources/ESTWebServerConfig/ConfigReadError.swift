/// Why a web-server config was not checked: it is not there, not a file, or goes past
/// `ConfigLimits`. Its description is the one-line reason `doctor` prints.
struct ConfigReadError: Error, CustomStringConvertible {
    var description: String

    init(_ description: String) { self.description = description }
}
