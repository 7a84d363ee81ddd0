/// Whether a CA may sign. A disabled CA stays in the store (its certificates, chains
/// and trust remain), but issues nothing until enabled again.
public enum CAStatus: String, Sendable, CaseIterable {
    case active
    case disabled
}
