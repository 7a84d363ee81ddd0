/// Why a CRL template or a CRL distribution point URI is refused: a one-line reason
/// that names the fault.
public struct CRLError: Error, CustomStringConvertible, Equatable, Sendable {
    public let description: String
    init(_ description: String) { self.description = description }
}
