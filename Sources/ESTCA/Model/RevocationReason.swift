/// RFC 5280 §5.3.1 reason codes, by their usual names.
public enum RevocationReason: String, CaseIterable, Sendable {
    case unspecified, keyCompromise, cACompromise, affiliationChanged, superseded,
         cessationOfOperation, certificateHold, removeFromCRL, privilegeWithdrawn, aACompromise
}

extension RevocationReason {
    /// The CRLReason of a CRL entry (RFC 5280 §5.3.1); nil for unspecified, which §5.3.1
    /// says to leave out, and for removeFromCRL, which only a delta CRL may carry.
    public var crlReasonCode: Int? {
        switch self {
        case .unspecified, .removeFromCRL: return nil
        case .keyCompromise: return 1
        case .cACompromise: return 2
        case .affiliationChanged: return 3
        case .superseded: return 4
        case .cessationOfOperation: return 5
        case .certificateHold: return 6
        case .privilegeWithdrawn: return 9
        case .aACompromise: return 10
        }
    }
}
