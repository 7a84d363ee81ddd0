/// `CAStore.recordCRL`: another run published a CRL with this number first; sign again
/// with the next one.
public struct CRLNumberTaken: Error {
    public init() {}
}
