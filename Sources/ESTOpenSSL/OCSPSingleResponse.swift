import Foundation

/// The answer about one certificate (RFC 6960 §4.2.1 SingleResponse).
public struct OCSPSingleResponse: Sendable {
    /// The CertID as the request had it; the response repeats it.
    public var certID: OCSPCertID
    public var status: OCSPCertStatus
    /// When the status was known to be correct (RFC 6960 §4.2.2.1).
    public var thisUpdate: Date
    /// When newer information will be available; RFC 5019 §2.2.4 requires it of responses
    /// meant to be cached. Nil leaves it out (newer information is always available).
    public var nextUpdate: Date?

    public init(certID: OCSPCertID, status: OCSPCertStatus, thisUpdate: Date, nextUpdate: Date?) {
        self.certID = certID
        self.status = status
        self.thisUpdate = thisUpdate
        self.nextUpdate = nextUpdate
    }
}
