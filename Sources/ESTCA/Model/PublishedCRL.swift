import Foundation

/// A CRL a CA published (RFC 5280 §5), as the store keeps it: the latest one is what
/// `GET /.well-known/est/[label/]crl` serves.
public struct PublishedCRL: Sendable {
    /// The name of the CA that signed it.
    public var issuer: String
    /// cRLNumber (§5.2.3): one more than the CA's previous CRL.
    public var number: Int64
    public var thisUpdate: String
    public var nextUpdate: String
    /// How many revoked certificates it lists.
    public var entries: Int
    public var der: Data

    public init(issuer: String, number: Int64, thisUpdate: String, nextUpdate: String, entries: Int, der: Data) {
        self.issuer = issuer
        self.number = number
        self.thisUpdate = thisUpdate
        self.nextUpdate = nextUpdate
        self.entries = entries
        self.der = der
    }
}
