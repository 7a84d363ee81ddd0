import Foundation

/// An nginx configuration read as directives and blocks (enough for `doctor`: no
/// variables are evaluated). `include` is followed (globs too), relative to the including
/// file's directory, else to /etc/nginx, within `ConfigLimits`: a cycle, too many or too
/// large files, or blocks nested too deep throw a `ConfigReadError` instead of running on.
struct NginxConfig {
    struct Directive {
        var name: String
        var args: [String]
        var children: [Directive]?
        var file: String
        var line: Int

        var location: String { "\(file):\(line)" }
    }

    var directives: [Directive]
    /// Files that could not be read (an include, most often).
    var unreadable: [String] = []

    init(path: String, limits: ConfigLimits = ConfigLimits()) throws {
        let files = ConfigFiles(limits: limits)
        guard let directives = try files.read(path, { bytes in
            try Self.parse(bytes, file: path, base: Self.directory(of: path), nesting: 0, files: files)
        }) else { throw SyntaxError(description: "cannot read \(path)") }
        self.directives = directives
        self.unreadable = files.unreadable
    }

    init(text: String, file: String = "nginx.conf", limits: ConfigLimits = ConfigLimits()) throws {
        let files = ConfigFiles(limits: limits)
        directives = try Self.parse(Array(text.utf8), file: file, base: nil, nesting: 0, files: files)
        self.unreadable = files.unreadable
    }

    struct SyntaxError: Error, CustomStringConvertible {
        var description: String
    }

    static func directory(of path: String) -> String { URL(fileURLWithPath: path).deletingLastPathComponent().path }

    /// One file's directives. Bytes, not Characters: "\r\n" is one Character and would
    /// end no line; every delimiter is ASCII, so UTF-8 inside a word passes through.
    /// Blocks are kept on a stack of their own, not by recursion, so that depth is only
    /// ever what `limits.nesting` allows. `nesting`: blocks open around the include.
    static func parse(_ bytes: [UInt8], file: String, base: String?, nesting: Int, files: ConfigFiles) throws -> [Directive] {
        // Blocks not yet closed, innermost last: the directive that opened one, and its body.
        var open: [(head: Directive, body: [Directive])] = []
        var top: [Directive] = []
        var words: [(text: String, line: Int)] = []
        func add(_ d: Directive, counted: Bool = false) throws {
            if !counted { try files.countDirective(file, d.line) }
            if open.isEmpty { top.append(d) } else { open[open.count - 1].body.append(d) }
        }
        func token(_ text: String, _ line: Int, quoted: Bool) throws {
            switch quoted ? "" : text {
            case ";":
                guard let head = words.first else { return }
                let d = Directive(name: head.text, args: words.dropFirst().map(\.text), children: nil, file: file, line: head.line)
                words = []
                if d.name == "include", let target = d.args.first,
                   let included = try include(target, base: base, nesting: nesting + open.count, files: files) {
                    for i in included { try add(i, counted: true) }
                } else {
                    try add(d)
                }
            case "{":
                guard let head = words.first else { throw SyntaxError(description: "\(file):\(line): '{' without a directive") }
                guard nesting + open.count < files.limits.nesting else {
                    throw ConfigReadError("blocks nested deeper than \(files.limits.nesting) (at \(file):\(line))")
                }
                open.append((Directive(name: head.text, args: words.dropFirst().map(\.text), children: nil, file: file, line: head.line), []))
                words = []
            case "}":
                guard words.isEmpty else { throw SyntaxError(description: "\(file):\(words[0].line): \(words[0].text) ends without ';'") }
                guard case (var head, let body)? = open.popLast() else { throw SyntaxError(description: "\(file):\(line): '}' closes no block") }
                head.children = body
                try add(head)
            default:
                words.append((text, line))
            }
        }

        var current: [UInt8] = [], quote: UInt8? = nil, line = 1, tokenLine = 1, comment = false, wasQuoted = false
        func flush() throws {
            if !current.isEmpty || wasQuoted { try token(String(decoding: current, as: UTF8.self), tokenLine, quoted: wasQuoted) }
            current = []
            wasQuoted = false
        }
        for byte in bytes {
            if byte == UInt8(ascii: "\n") { line += 1 }
            if comment { if byte == UInt8(ascii: "\n") { comment = false }; continue }
            if let q = quote {
                if byte == q { quote = nil } else { current.append(byte) }
                continue
            }
            switch byte {
            case UInt8(ascii: "#"): try flush(); comment = true
            case UInt8(ascii: "\""), UInt8(ascii: "'"): if current.isEmpty { tokenLine = line }; quote = byte; wasQuoted = true
            case UInt8(ascii: ";"), UInt8(ascii: "{"), UInt8(ascii: "}"): try flush(); try token(String(UnicodeScalar(byte)), line, quoted: false)
            case UInt8(ascii: " "), UInt8(ascii: "\t"), UInt8(ascii: "\n"), UInt8(ascii: "\r"): try flush()
            default: if current.isEmpty { tokenLine = line }; current.append(byte)
            }
        }
        try flush()
        if let unclosed = open.last { throw SyntaxError(description: "\(file):\(unclosed.head.line): the block of \(unclosed.head.name) is never closed") }
        if let w = words.first { throw SyntaxError(description: "\(file):\(w.line): \(w.text) ends without ';'") }
        return top
    }

    /// The directives `include target` stands for; nil (keep the include, note it) when it
    /// names no readable file. A glob that matches nothing is nothing, as for nginx.
    static func include(_ target: String, base: String?, nesting: Int, files: ConfigFiles) throws -> [Directive]? {
        // Relative to the including file, else to nginx's own directory.
        let candidates = target.hasPrefix("/") ? [target] : [base.map { $0 + "/" + target }, "/etc/nginx/" + target].compactMap { $0 }
        let paths: [String]
        if ConfigFiles.isGlob(target) {
            var matched: [String] = []
            for c in candidates where matched.isEmpty { matched = try files.expand(c) }
            paths = matched
        } else {
            guard let path = candidates.first(where: { FileManager.default.fileExists(atPath: $0) }) else {
                files.noteUnreadable(candidates[0])
                return nil
            }
            paths = [path]
        }
        var out: [Directive] = []
        for path in paths {
            guard let ds = try files.read(path, { try parse($0, file: path, base: directory(of: path), nesting: nesting, files: files) }) else {
                files.noteUnreadable(path)
                if paths.count == 1 { return nil }
                continue
            }
            out += ds
        }
        return out
    }
}
