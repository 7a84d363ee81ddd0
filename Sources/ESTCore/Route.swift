/// `/.well-known/est/{op}` or `/.well-known/est/{label}/{op}` (RFC 7030 §3.2.2), and
/// `/.well-known/est/crl/{CA}` (`CRLIssuerPath`).
public struct Route: Equatable, Sendable {
    public var label: String?
    public var operation: ESTOperation
    /// `/.well-known/est/crl/{CA}` (`CRLIssuerPath`): the CA whose CRL is asked for.
    public var crlIssuer: String?

    public init(label: String?, operation: ESTOperation, crlIssuer: String? = nil) {
        self.label = label
        self.operation = operation
        self.crlIssuer = crlIssuer
    }

    static let prefix = "/.well-known/est/"

    /// `pinned` is the location's ESTFCGI_PROFILE: the URL label must then be absent or equal.
    /// Every failure is 404: an unknown path says nothing about what exists.
    public static func parse(path: String, pinned: String?) throws(ESTError) -> Route {
        guard path.hasPrefix(prefix) else { throw .notFound("not an EST path") }
        let segments = path.dropFirst(prefix.count).split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        // A CA's CRL by the CA's name: public, whatever profile a location pins ("crl" is
        // never a profile label).
        if segments.count == 2, segments[0] == ESTOperation.crl.rawValue {
            guard CRLIssuerPath.isURLSafe(segments[1]) else { throw .notFound("not an EST path") }
            return Route(label: nil, operation: .crl, crlIssuer: segments[1])
        }
        let label: String?
        let opName: String
        switch segments.count {
        case 1: label = nil; opName = segments[0]
        case 2: label = segments[0]; opName = segments[1]
        default: throw .notFound("not an EST path")
        }
        guard let op = ESTOperation(rawValue: opName) else { throw .notFound("unknown EST operation '\(opName)'") }
        if let label {
            do { try ProfileLabel.validate(label) } catch { throw .notFound("invalid profile label") }
        }
        if let pinned, !pinned.isEmpty {
            // The location's own setting, held to the same syntax: a location that filled it
            // from the request would otherwise hand the client the log line's profile field.
            do { try ProfileLabel.validate(pinned) } catch {
                throw ESTError(500, "ESTFCGI_PROFILE is not a valid profile label (check the web server's location)")
            }
            if let label, label != pinned { throw .notFound("unknown profile '\(label)'") }
            return Route(label: pinned, operation: op)
        }
        return Route(label: label, operation: op)
    }
}
