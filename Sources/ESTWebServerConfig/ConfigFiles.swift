import Foundation

/// The files of one web-server config as `doctor` reads them: the top file and what it
/// includes, within `ConfigLimits`. An include of a file that is still being read (a cycle)
/// is refused, not followed; including the same file twice side by side (fastcgi_params in
/// each location) is fine. Only regular files are read: a FIFO or /dev/zero would block
/// or never end.
final class ConfigFiles {
    let limits: ConfigLimits
    /// Includes that name nothing there (or nothing readable): reported, not checked.
    private(set) var unreadable: [String] = []
    /// The include chain being read, outermost first (device and inode: a symlink or a
    /// second name of the same file is the same file).
    private var chain: [(path: String, device: UInt64, inode: UInt64)] = []
    private var files = 0, bytes = 0, directives = 0

    init(limits: ConfigLimits) { self.limits = limits }

    func noteUnreadable(_ path: String) {
        if !unreadable.contains(path) { unreadable.append(path) }
    }

    /// Counts one more directive kept; past the limit the config is not checked.
    func countDirective(_ file: String, _ line: Int) throws {
        directives += 1
        guard directives <= limits.directives else {
            throw ConfigReadError("more than \(limits.directives) directives (at \(file):\(line)): not a config doctor checks")
        }
    }

    /// Reads `path` and hands its bytes to `parse`, with `path` on the include chain while
    /// it runs. nil when there is no such file or it may not be read; throws for a cycle,
    /// a limit, or something that is not a regular file.
    func read<T>(_ path: String, _ parse: ([UInt8]) throws -> T) throws -> T? {
        guard chain.count < limits.includeDepth else {
            throw ConfigReadError("includes nested deeper than \(limits.includeDepth) (\(chainText(path)))")
        }
        // O_NONBLOCK: opening a FIFO must not wait for a writer (fstat then refuses it).
        let fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC)
        guard fd >= 0 else {
            let e = errno
            if [ENOENT, ENOTDIR, EACCES, EPERM, ELOOP].contains(e) { return nil }
            throw ConfigReadError("cannot open \(path): \(String(cString: strerror(e)))")
        }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0 else { throw ConfigReadError("cannot stat \(path): \(String(cString: strerror(errno)))") }
        guard st.st_mode & S_IFMT == S_IFREG else { throw ConfigReadError("\(path) is not a regular file") }
        let device = UInt64(st.st_dev), inode = UInt64(st.st_ino)
        if chain.contains(where: { $0.device == device && $0.inode == inode }) {
            throw ConfigReadError("include cycle: \(chainText(path))")
        }
        files += 1
        guard files <= limits.files else {
            throw ConfigReadError("more than \(limits.files) files to read (at \(chainText(path))): an include glob over too many files, or a file included over and over")
        }
        guard st.st_size <= limits.fileBytes else {
            throw ConfigReadError("\(path) has \(st.st_size) bytes, more than the \(limits.fileBytes) doctor reads of a file")
        }
        // The size was read before: the file may grow meanwhile, so read at most one byte more.
        var data = [UInt8](repeating: 0, count: Int(st.st_size) + 1)
        var count = 0
        while count < data.count {
            let n = data.withUnsafeMutableBytes { Foundation.read(fd, $0.baseAddress! + count, $0.count - count) }
            if n < 0, errno == EINTR { continue }
            guard n >= 0 else { throw ConfigReadError("cannot read \(path): \(String(cString: strerror(errno)))") }
            if n == 0 { break }
            count += n
        }
        guard count <= limits.fileBytes else {
            throw ConfigReadError("\(path) has more than the \(limits.fileBytes) bytes doctor reads of a file")
        }
        data.removeSubrange(count...)
        bytes += count
        guard bytes <= limits.totalBytes else {
            throw ConfigReadError("more than \(limits.totalBytes) bytes to read in all (at \(chainText(path)))")
        }
        chain.append((path, device, inode))
        defer { chain.removeLast() }
        return try parse(data)
    }

    /// The files a glob names, sorted as both servers take them; [] when none. Counted
    /// against the file limit before any is read, so a glob over thousands fails at once.
    /// Expanded one path component at a time with a bounded readdir, not glob(3): that one
    /// collects every match first, and `/*/*/*/*/*` would walk the whole disk.
    func expand(_ pattern: String) throws -> [String] {
        var paths = [pattern.hasPrefix("/") ? "/" : "./"]
        var examined = 0
        let maxEntries = 16 * limits.files
        for component in pattern.split(separator: "/").map(String.init) {
            guard Self.isGlob(component) else {
                paths = paths.map { $0 + ($0.hasSuffix("/") ? "" : "/") + component }
                continue
            }
            var next: [String] = []
            for directory in paths {
                guard let d = opendir(directory) else { continue }
                defer { closedir(d) }
                var names: [String] = []
                while let entry = readdir(d) {
                    examined += 1
                    guard examined <= maxEntries else {
                        throw ConfigReadError("include \(pattern) looks through more than \(maxEntries) directory entries")
                    }
                    let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
                    // FNM_PERIOD: as for glob(3), a wildcard does not match a leading dot.
                    if name != ".", name != "..", fnmatch(component, name, FNM_PERIOD) == 0 { names.append(name) }
                }
                next += names.sorted().map { directory + (directory.hasSuffix("/") ? "" : "/") + $0 }
                guard files + next.count <= limits.files else {
                    throw ConfigReadError("include \(pattern) names \(next.count) files, more than the \(limits.files) doctor reads")
                }
            }
            paths = next
        }
        let found = paths.filter { FileManager.default.fileExists(atPath: $0) }
        guard files + found.count <= limits.files else {
            throw ConfigReadError("include \(pattern) names \(found.count) files, more than the \(limits.files) doctor reads")
        }
        return found
    }

    /// Hands the entries of a directory, sorted, to `each` with the directory on the
    /// include chain (Apache's `Include DIR` reads all files below it): a link back up is
    /// a cycle, and the entries count against the file limit like a glob's.
    func directory<T>(_ path: String, _ each: ([String]) throws -> T) throws -> T {
        guard chain.count < limits.includeDepth else {
            throw ConfigReadError("includes nested deeper than \(limits.includeDepth) (\(chainText(path)))")
        }
        var st = stat()
        guard stat(path, &st) == 0 else { return try each([]) }
        let device = UInt64(st.st_dev), inode = UInt64(st.st_ino)
        if chain.contains(where: { $0.device == device && $0.inode == inode }) {
            throw ConfigReadError("include cycle: \(chainText(path))")
        }
        let names = (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []
        files += 1
        guard files + names.count <= limits.files else {
            throw ConfigReadError("include \(path) holds \(names.count) files, more than the \(limits.files) doctor reads")
        }
        let base = path.hasSuffix("/") ? path : path + "/"
        chain.append((path, device, inode))
        defer { chain.removeLast() }
        return try each(names.sorted().map { base + $0 })
    }

    static func isGlob(_ path: String) -> Bool { path.contains { $0 == "*" || $0 == "?" || $0 == "[" } }

    private func chainText(_ path: String) -> String { (chain.map(\.path) + [path]).joined(separator: " -> ") }
}
