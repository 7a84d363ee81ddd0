import Foundation

/// An Apache configuration as `doctor` reads it: its directive lines in order (comments and
/// blank lines left out, a line ending in "\" joined to the next), with the files that
/// Include and IncludeOptional name read in their place: globs and directories as Apache
/// expands them, a relative path against the including file's directory, else against
/// Debian's ServerRoot /etc/apache2. Sections (<VirtualHost>, <Location>, <IfModule>...)
/// must close in the file that opens them, as Apache requires. All within `ConfigLimits`:
/// a cycle, too many or too large files, or sections nested too deep throw a
/// `ConfigReadError` instead of running on.
struct ApacheConfig {
    struct Line {
        var words: [String]
        var text: String
        var file: String
        var number: Int

        var location: String { "\(file):\(number)" }
    }

    var lines: [Line] = []
    /// Files an Include names that could not be read (IncludeOptional's are not noted).
    var unreadable: [String] = []

    init(path: String, limits: ConfigLimits = ConfigLimits()) throws {
        let files = ConfigFiles(limits: limits)
        var lines: [Line] = []
        guard try files.read(path, { try Self.read($0, file: path, nesting: 0, files: files, into: &lines) }) != nil else {
            throw ConfigReadError("cannot read \(path)")
        }
        self.lines = lines
        self.unreadable = files.unreadable
    }

    init(text: String, file: String = "apache.conf", limits: ConfigLimits = ConfigLimits()) throws {
        let files = ConfigFiles(limits: limits)
        try Self.read(Array(text.utf8), file: file, nesting: 0, files: files, into: &lines)
        unreadable = files.unreadable
    }

    /// One file's lines. `nesting`: sections open around the include.
    static func read(_ bytes: [UInt8], file: String, nesting: Int, files: ConfigFiles, into lines: inout [Line]) throws {
        var sections: [(name: String, line: Int)] = []
        var pending = "", pendingLine = 0, number = 0, start = 0
        while start <= bytes.count {
            let end = bytes[start...].firstIndex(of: UInt8(ascii: "\n")) ?? bytes.count
            var raw = bytes[start..<end]
            start = end + 1
            number += 1
            if raw.last == UInt8(ascii: "\r") { raw = raw.dropLast() }
            let part = String(decoding: raw, as: UTF8.self).trimmingCharacters(in: .whitespaces)
            if pending.isEmpty { pendingLine = number }
            if part.hasSuffix("\\"), start <= bytes.count {
                pending += part.dropLast() + " "
                continue
            }
            let text = (pending + part).trimmingCharacters(in: .whitespaces)
            pending = ""
            guard !text.isEmpty, !text.hasPrefix("#") else { continue }
            let words = text.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
            guard let first = words.first?.lowercased() else { continue }
            let sectionName = { (s: Substring) in String(s.hasSuffix(">") ? s.dropLast() : s) }
            if first.hasPrefix("</") {
                let name = sectionName(first.dropFirst(2))
                guard let open = sections.popLast() else {
                    throw ConfigReadError("\(file):\(pendingLine): \(words[0]) closes no section")
                }
                guard open.name == name else {
                    throw ConfigReadError("\(file):\(pendingLine): \(words[0]) closes <\(open.name)> of line \(open.line)")
                }
            } else if first.hasPrefix("<") {
                guard nesting + sections.count < files.limits.nesting else {
                    throw ConfigReadError("sections nested deeper than \(files.limits.nesting) (at \(file):\(pendingLine))")
                }
                sections.append((sectionName(first.dropFirst()), pendingLine))
            } else if first == "include" || first == "includeoptional", words.count > 1 {
                let target = words[1].trimmingCharacters(in: CharacterSet(charactersIn: "\"'"))
                try include(target, optional: first == "includeoptional", base: NginxConfig.directory(of: file),
                            nesting: nesting + sections.count, files: files, into: &lines)
                continue
            }
            try files.countDirective(file, pendingLine)
            lines.append(Line(words: words, text: text, file: file, number: pendingLine))
        }
        if let open = sections.last {
            throw ConfigReadError("\(file):\(open.line): <\(open.name)> is never closed")
        }
    }

    /// Reads what `Include target` names into `lines`. What is missing is noted for
    /// Include (Apache would not start) and passed over for IncludeOptional.
    static func include(_ target: String, optional: Bool, base: String, nesting: Int, files: ConfigFiles,
                        into lines: inout [Line]) throws {
        let candidates = target.hasPrefix("/") ? [target] : [base + "/" + target, "/etc/apache2/" + target]
        let paths: [String]
        if ConfigFiles.isGlob(target) {
            var matched: [String] = []
            for c in candidates where matched.isEmpty { matched = try files.expand(c) }
            paths = matched
        } else {
            paths = candidates.first(where: { FileManager.default.fileExists(atPath: $0) }).map { [$0] } ?? []
        }
        if paths.isEmpty, !optional { files.noteUnreadable(candidates[0]) }
        for path in paths { try includeFile(path, optional: optional, nesting: nesting, files: files, into: &lines) }
    }

    /// A file, or every file below a directory (Apache's `Include DIR`).
    static func includeFile(_ path: String, optional: Bool, nesting: Int, files: ConfigFiles, into lines: inout [Line]) throws {
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue {
            try files.directory(path) { entries in
                for entry in entries { try includeFile(entry, optional: optional, nesting: nesting, files: files, into: &lines) }
            }
            return
        }
        let read = try files.read(path) { try Self.read($0, file: path, nesting: nesting, files: files, into: &lines) }
        if read == nil, !optional { files.noteUnreadable(path) }
    }
}
