/// How a program run by `ProgramRunner` ended, and the first bytes of its standard output.
public struct ProgramRun: Sendable, Equatable {
    public enum End: Sendable, Equatable {
        case exited(Int32)
        case signalled(Int32)
        /// Still running at the deadline: its process group was killed.
        case timedOut(milliseconds: Int)
        case notStarted(String)
    }

    public var end: End
    /// At most the runner's limit; the rest was read and dropped.
    public var output: [UInt8]
}
