/// Why `serve` could not start (socket, libfcgi).
public struct ServeError: Error, CustomStringConvertible {
    public let description: String
    init(_ d: String) { description = d }
}
