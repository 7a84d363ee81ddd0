extension CAError {
    /// A store's refusal or failure as the authority answers it (HTTP status, reason).
    public init(_ e: StoreError) {
        switch e {
        case .notFound(let r): self = .notFound(r)
        case .conflict(let r): self = .badRequest(r)
        case .refused(let r): self = .forbidden(r)
        case .revokedClient(let reason): self = .revokedClient(reason)
        case .tooManyRequests(let r): self = .tooManyRequests(r)
        case .unavailable(let r): self = .unavailable(r)
        case .failed(let r): self = .internalFailure(r)
        }
    }
}
