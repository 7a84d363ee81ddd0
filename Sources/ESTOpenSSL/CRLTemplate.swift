import Foundation

/// What goes into a CRL (RFC 5280 §5.1). The issuer's name, key identifier and signature
/// come from the issuer certificate and key.
public struct CRLTemplate: Sendable {
    /// cRLNumber (RFC 5280 §5.2.3), at least 1, increasing with each CRL of the issuer.
    public var number: Int64
    /// thisUpdate and nextUpdate (§5.1.2.4, §5.1.2.5), in whole seconds; nextUpdate is later.
    public var thisUpdate: Date
    public var nextUpdate: Date
    /// The revoked certificates, in any order (the CRL lists them sorted by serial).
    public var entries: [RevokedEntry]

    public init(number: Int64, thisUpdate: Date, nextUpdate: Date, entries: [RevokedEntry]) {
        self.number = number
        self.thisUpdate = thisUpdate
        self.nextUpdate = nextUpdate
        self.entries = entries
    }
}
