/// A response `HTTPClient` read: the status and at most the caller's limit of body bytes.
public struct HTTPResponse: Sendable, Equatable {
    public let status: Int
    public let body: [UInt8]

    public init(status: Int, body: [UInt8]) {
        self.status = status
        self.body = body
    }
}
