/// RFC 5280 §5.3.1 reason codes, by their usual names.
public enum RevocationReason: String, CaseIterable, Sendable {
    case unspecified, keyCompromise, cACompromise, affiliationChanged, superseded,
         cessationOfOperation, certificateHold, removeFromCRL, privilegeWithdrawn, aACompromise
}
