import ESTCA

/// RFC 7030 §3.2.2 operations.
public enum ESTOperation: String, Sendable, CaseIterable {
    case cacerts, simpleenroll, simplereenroll, serverkeygen, csrattrs, fullcmc

    var allowedMethod: String {
        switch self {
        case .cacerts, .csrattrs: return "GET"
        default: return "POST"
        }
    }
}

/// `/.well-known/est/{op}` or `/.well-known/est/{label}/{op}` (RFC 7030 §3.2.2).
public struct Route: Equatable, Sendable {
    public var label: String?
    public var operation: ESTOperation

    public init(label: String?, operation: ESTOperation) {
        self.label = label
        self.operation = operation
    }

    static let prefix = "/.well-known/est/"

    public enum Failure: Error, Equatable { case notFound(String) }

    /// `pinned` is the location's ESTFCGI_PROFILE: the URL label must then be absent or equal.
    public static func parse(path: String, pinned: String?) throws -> Route {
        guard path.hasPrefix(prefix) else { throw Failure.notFound("not an EST path") }
        let segments = path.dropFirst(prefix.count).split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        let label: String?
        let opName: String
        switch segments.count {
        case 1: label = nil; opName = segments[0]
        case 2: label = segments[0]; opName = segments[1]
        default: throw Failure.notFound("not an EST path")
        }
        guard let op = ESTOperation(rawValue: opName) else { throw Failure.notFound("unknown EST operation '\(opName)'") }
        if let label { do { try Profile.validate(label: label) } catch { throw Failure.notFound("invalid profile label") } }
        if let pinned, !pinned.isEmpty {
            guard label == nil || label == pinned else { throw Failure.notFound("unknown profile '\(label!)'") }
            return Route(label: pinned, operation: op)
        }
        return Route(label: label, operation: op)
    }
}
