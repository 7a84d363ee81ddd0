import Foundation

/// An nginx configuration read as directives and blocks (enough for `doctor`: no
/// variables are evaluated). `include` is followed, relative to the including file's
/// directory, up to a depth, without globs.
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

    init(path: String) throws {
        var unreadable: [String] = []
        directives = try Self.parse(path: path, depth: 0, unreadable: &unreadable)
        self.unreadable = unreadable
    }

    init(text: String, file: String = "nginx.conf") throws {
        var unreadable: [String] = []
        directives = try Self.parse(text: text, file: file, base: nil, depth: 0, unreadable: &unreadable)
        self.unreadable = unreadable
    }

    struct SyntaxError: Error, CustomStringConvertible {
        var description: String
    }

    static func parse(path: String, depth: Int, unreadable: inout [String]) throws -> [Directive] {
        guard let data = FileManager.default.contents(atPath: path) else { throw SyntaxError(description: "cannot read \(path)") }
        return try parse(text: String(decoding: data, as: UTF8.self), file: path,
                         base: URL(fileURLWithPath: path).deletingLastPathComponent().path, depth: depth, unreadable: &unreadable)
    }

    static func parse(text: String, file: String, base: String?, depth: Int, unreadable: inout [String]) throws -> [Directive] {
        var tokens: [(text: String, line: Int, quoted: Bool)] = []
        var current = "", quote: Character? = nil, line = 1, tokenLine = 1, comment = false, wasQuoted = false
        func flush() {
            if !current.isEmpty || wasQuoted { tokens.append((current, tokenLine, wasQuoted)) }
            current = ""
            wasQuoted = false
        }
        for ch in text {
            if ch == "\n" { line += 1 }
            if comment { if ch == "\n" { comment = false }; continue }
            if let q = quote {
                if ch == q { quote = nil } else { current.append(ch) }
                continue
            }
            switch ch {
            case "#": flush(); comment = true
            case "\"", "'": if current.isEmpty { tokenLine = line }; quote = ch; wasQuoted = true
            case ";", "{", "}": flush(); tokens.append((String(ch), line, false))
            case " ", "\t", "\n", "\r": flush()
            default: if current.isEmpty { tokenLine = line }; current.append(ch)
            }
        }
        flush()
        var i = 0
        func block() throws -> [Directive] {
            var out: [Directive] = []
            var words: [(String, Int)] = []
            while i < tokens.count {
                let t = tokens[i]
                i += 1
                if !t.quoted, t.text == ";" {
                    guard let head = words.first else { continue }
                    var d = Directive(name: head.0, args: words.dropFirst().map(\.0), children: nil, file: file, line: head.1)
                    if d.name == "include", depth < 8, let target = d.args.first {
                        // Relative to the including file, else to nginx's own directory.
                        let candidates = target.hasPrefix("/") ? [target] : [base.map { $0 + "/" + target }, "/etc/nginx/" + target].compactMap { $0 }
                        if let path = candidates.first(where: { FileManager.default.fileExists(atPath: $0) }),
                           let included = try? parse(path: path, depth: depth + 1, unreadable: &unreadable) {
                            out += included
                            words = []
                            continue
                        }
                        unreadable.append(candidates[0])
                        d.children = nil
                    }
                    out.append(d)
                    words = []
                } else if !t.quoted, t.text == "{" {
                    guard let head = words.first else { throw SyntaxError(description: "\(file):\(t.line): '{' without a directive") }
                    let children = try block()
                    out.append(Directive(name: head.0, args: words.dropFirst().map(\.0), children: children, file: file, line: head.1))
                    words = []
                } else if !t.quoted, t.text == "}" {
                    return out
                } else {
                    words.append((t.text, t.line))
                }
            }
            return out
        }
        return try block()
    }
}
