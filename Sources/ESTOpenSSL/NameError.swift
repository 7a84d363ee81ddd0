/// Why a Name or a GeneralName is not one estfcgi will sign: a one-line reason that
/// names the fault.
public struct NameError: Error, CustomStringConvertible, Equatable, Sendable {
    public let description: String
    init(_ description: String) { self.description = description }
}
