/// `/.well-known/est/{op}` or `/.well-known/est/{label}/{op}` (RFC 7030 §3.2.2), and
/// `/.well-known/est/crl/{CA}` (`CRLIssuerPath`), and the OCSP responder:
/// `/.well-known/est/ocsp` (POST) and `/.well-known/est/ocsp/{request}` (GET).
public struct Route: Equatable, Sendable {
    public var label: String?
    public var operation: ESTOperation
    /// `/.well-known/est/crl/{CA}` (`CRLIssuerPath`): the CA whose CRL is asked for, as
    /// the URL has it (`NAME` or `NAME(N)`, see `CRLIssuerPath.parse`).
    public var crlIssuer: String?
    /// The OCSP GET form (RFC 6960 Appendix A.1): the request is the path below
    /// `/.well-known/est/ocsp/`, read raw by `ESTRequest.ocspGETSegment`, not from `path`.
    public var ocspGET: Bool

    public init(label: String?, operation: ESTOperation, crlIssuer: String? = nil, ocspGET: Bool = false) {
        self.label = label
        self.operation = operation
        self.crlIssuer = crlIssuer
        self.ocspGET = ocspGET
    }

    /// The OCSP responder's URL; the GET form is below it.
    public static let ocspPath = "/.well-known/est/ocsp"

    static let prefix = "/.well-known/est/"

    /// `pinned` is the location's ESTFCGI_PROFILE: the URL label must then be absent or equal.
    /// Every failure is 404: an unknown path says nothing about what exists.
    public static func parse(path: String, pinned: String?) throws(ESTError) -> Route {
        guard path.hasPrefix(prefix) else { throw .notFound("not an EST path") }
        // OCSP: public and for every CA, whatever profile a location pins. Base64 holds '/',
        // so everything below the responder's URL is the GET form's one request.
        if path == ocspPath { return Route(label: nil, operation: .ocsp) }
        if path.hasPrefix(ocspPath + "/") { return Route(label: nil, operation: .ocsp, ocspGET: true) }
        let segments = path.dropFirst(prefix.count).split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        // A CA's CRL by the CA's name: public, whatever profile a location pins ("crl" is
        // never a profile label).
        if segments.count == 2, segments[0] == ESTOperation.crl.rawValue {
            // `NAME` or `NAME(N)` (a later key's CRL), passed on whole.
            guard CRLIssuerPath.parse(segments[1]) != nil else { throw .notFound("not an EST path") }
            return Route(label: nil, operation: .crl, crlIssuer: segments[1])
        }
        let label: String?
        let opName: String
        switch segments.count {
        case 1: label = nil; opName = segments[0]
        case 2: label = segments[0]; opName = segments[1]
        default: throw .notFound("not an EST path")
        }
        guard let op = ESTOperation(rawValue: opName), op != .ocsp else { throw .notFound("unknown EST operation '\(opName)'") }
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
