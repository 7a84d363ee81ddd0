/// The serial was already taken for that issuer (retry with a fresh one).
public struct SerialCollision: Error {
    public init() {}
}
