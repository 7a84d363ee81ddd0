/// How much of a web-server config `doctor` reads at most. A config that goes past a limit
/// (a file that includes itself, a glob over thousands of files, a huge file, blocks nested
/// 200,000 deep) is answered with a FAIL naming the limit, never with a hang or a crash.
/// Real configs stay far below each: the EST server block and what it includes.
public struct ConfigLimits: Sendable {
    /// Bytes of one file.
    public var fileBytes = 4 << 20
    /// Bytes of all files read, each include counted each time it is read.
    public var totalBytes = 8 << 20
    /// Files read (the top one, every include, every file a glob or directory names).
    public var files = 512
    /// Files including files including files...
    public var includeDepth = 16
    /// Blocks (nginx) or sections (Apache) inside one another, across includes.
    public var nesting = 64
    /// Directives (nginx) or directive lines (Apache) kept, so memory stays bounded too.
    public var directives = 200_000

    public init() {}
}
