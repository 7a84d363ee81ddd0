/// Why OCSPResponseBuilder refuses to sign: a one-line reason that names the fault. Each is
/// a fault of the caller or of the responder certificate, answered with internalError.
public struct OCSPResponseError: Error, CustomStringConvertible, Equatable, Sendable {
    public let description: String
    init(_ description: String) { self.description = description }
}
