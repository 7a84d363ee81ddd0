import Foundation

/// The part of an RFC 7512 PKCS#11 URI estfcgi uses to find a private key:
/// `pkcs11:token=CA;object=ca-key?pin-source=file:/etc/estfcgi/pin&module-path=/usr/lib/softhsm/libsofthsm2.so`.
/// A PIN is never part of it: `pin-value` is refused, so a stored URI cannot hold one.
public struct PKCS11URI: Equatable, Hashable, Sendable, CustomStringConvertible {
    /// Token label, manufacturer, serial number and model (CK_TOKEN_INFO, RFC 7512 §2.3).
    public var token: String?
    public var manufacturer: String?
    public var serial: String?
    public var model: String?
    /// The key's CKA_LABEL and CKA_ID; at least one is needed.
    public var object: String?
    public var id: Data?
    /// The file holding the PIN (`pin-source=file:/path`, RFC 7512 §2.4).
    public var pinSource: String?
    /// The module's file (`module-path`). RFC 7512 §2.4 means a directory searched for
    /// `module-name`; like libp11 and p11-kit, estfcgi takes it as the module file itself.
    public var modulePath: String?

    /// Bounds on outside text (CK_TOKEN_INFO fields are 32 or 16 bytes; the rest are generous).
    static let maxLength = 4096
    static let maxValueBytes = 1024

    public init(token: String? = nil, manufacturer: String? = nil, serial: String? = nil, model: String? = nil,
                object: String? = nil, id: Data? = nil, pinSource: String? = nil, modulePath: String? = nil) {
        self.token = token
        self.manufacturer = manufacturer
        self.serial = serial
        self.model = model
        self.object = object
        self.id = id
        self.pinSource = pinSource
        self.modulePath = modulePath
    }

    /// Parses `text`; throws `PKCS11Error.invalidURI` with a one-line reason (never echoing a
    /// pin-value).
    public init(_ text: String) throws {
        func bad(_ why: String) -> PKCS11Error { .invalidURI(why) }
        guard text.utf8.count <= Self.maxLength else { throw bad("longer than \(Self.maxLength) bytes") }
        guard text.utf8.count >= 7, text.prefix(7).lowercased() == "pkcs11:" else {
            throw bad("does not start with pkcs11:")
        }
        let rest = text.dropFirst(7)
        let (path, query): (Substring, Substring?)
        if let q = rest.firstIndex(of: "?") {
            (path, query) = (rest[..<q], rest[rest.index(after: q)...])
        } else {
            (path, query) = (rest, nil)
        }
        var seen = Set<String>()
        var uri = PKCS11URI()
        func parts(_ s: Substring, _ separator: Character, query: Bool) throws {
            guard !s.isEmpty else { return }
            for attr in s.split(separator: separator, omittingEmptySubsequences: false) {
                guard let eq = attr.firstIndex(of: "=") else {
                    throw bad("attribute without '=' (\(PKCS11URI.shown(attr)))")
                }
                let name = String(attr[..<eq])
                let raw = attr[attr.index(after: eq)...]
                // RFC 7512 §2.3: a path attribute appears at most once; estfcgi holds the query to the same.
                guard seen.insert(name).inserted else { throw bad("\(PKCS11URI.shown(name)) given twice") }
                try uri.set(name, raw, inQuery: query)
            }
        }
        try parts(path, ";", query: false)
        if let query { try parts(query, "&", query: true) }
        guard uri.object != nil || uri.id != nil else { throw bad("names no key (object= or id=)") }
        self = uri
    }

    private mutating func set(_ name: String, _ raw: Substring, inQuery: Bool) throws {
        func bad(_ why: String) -> PKCS11Error { .invalidURI(why) }
        if name == "pin-value" {
            throw bad("a PIN must not be in the URI: use pin-source=file:... or ESTFCGI_PKCS11_PIN_FILE")
        }
        let bytes = try Self.percentDecoded(raw, name)
        func text(max: Int) throws -> String {
            guard !bytes.isEmpty else { throw bad("\(name) is empty") }
            guard bytes.count <= max else { throw bad("\(name) is longer than \(max) bytes") }
            guard let s = String(bytes: bytes, encoding: .utf8) else { throw bad("\(name) is not UTF-8") }
            guard !s.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7f }) else {
                throw bad("\(name) holds a control character")
            }
            return s
        }
        switch name {
        case "token" where !inQuery: token = try text(max: 32)
        case "manufacturer" where !inQuery: manufacturer = try text(max: 32)
        case "serial" where !inQuery: serial = try text(max: 16)
        case "model" where !inQuery: model = try text(max: 16)
        case "object" where !inQuery: object = try text(max: Self.maxValueBytes)
        case "id" where !inQuery:
            guard !bytes.isEmpty, bytes.count <= 255 else { throw bad("id must be 1 to 255 bytes") }
            id = Data(bytes)
        case "type" where !inQuery:
            guard try text(max: 16) == "private" else { throw bad("type must be private (the CA's private key)") }
        // RFC 7512 puts these in the query; libp11 and others accept them in the path too.
        case "pin-source":
            var source = try text(max: Self.maxValueBytes)
            if source.hasPrefix("file://") { source.removeFirst(7) } else if source.hasPrefix("file:") { source.removeFirst(5) }
            guard source.hasPrefix("/") else { throw bad("pin-source must be file:/absolute/path") }
            pinSource = source
        case "module-path":
            let module = try text(max: Self.maxValueBytes)
            guard module.hasPrefix("/") else { throw bad("module-path must be an absolute path") }
            modulePath = module
        default:
            throw bad("attribute \(Self.shown(name))\(inQuery ? " (query)" : "") is not supported")
        }
    }

    /// RFC 3986 §2.1 percent-decoding; a '%' not followed by two hex digits is an error.
    static func percentDecoded(_ s: Substring, _ name: String) throws -> [UInt8] {
        var out: [UInt8] = []
        var it = Array(s.utf8)[...]
        while let b = it.popFirst() {
            guard b == UInt8(ascii: "%") else { out.append(b); continue }
            guard it.count >= 2, let hi = hex(it.removeFirst()), let lo = hex(it.removeFirst()) else {
                throw PKCS11Error.invalidURI("bad percent-encoding in \(shown(name))")
            }
            out.append(hi << 4 | lo)
        }
        return out
    }

    private static func hex(_ c: UInt8) -> UInt8? {
        switch c {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return c - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return c - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return c - UInt8(ascii: "A") + 10
        default: return nil
        }
    }

    /// Outside text in an error: printable ASCII only, at most 64 characters.
    static func shown<S: StringProtocol>(_ s: S) -> String {
        let clean = String(s.unicodeScalars.prefix(64).map { $0.value >= 0x20 && $0.value < 0x7f ? Character($0) : "?" })
        return s.unicodeScalars.count > 64 ? clean + "…" : clean
    }

    /// Every byte but RFC 3986's unreserved ones percent-encoded (always valid in RFC 7512).
    /// `keeping` are further bytes the part allows as they are (RFC 7512 pk11-qchar: ':' '/').
    static func encoded<C: Collection>(_ bytes: C, keeping: Set<UInt8> = []) -> String where C.Element == UInt8 {
        var out = ""
        for b in bytes {
            switch b {
            case _ where keeping.contains(b):
                out.append(Character(Unicode.Scalar(b)))
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
                 UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"):
                out.append(Character(Unicode.Scalar(b)))
            default:
                out += "%" + String(b >> 4, radix: 16, uppercase: true) + String(b & 0xf, radix: 16, uppercase: true)
            }
        }
        return out
    }

    static let queryKept: Set<UInt8> = [UInt8(ascii: ":"), UInt8(ascii: "/")]

    /// The path part: what names the token and the key.
    var pathAttributes: [String] {
        var attrs: [String] = []
        if let token { attrs.append("token=" + Self.encoded(token.utf8)) }
        if let manufacturer { attrs.append("manufacturer=" + Self.encoded(manufacturer.utf8)) }
        if let serial { attrs.append("serial=" + Self.encoded(serial.utf8)) }
        if let model { attrs.append("model=" + Self.encoded(model.utf8)) }
        if let object { attrs.append("object=" + Self.encoded(object.utf8)) }
        if let id { attrs.append("id=" + Self.encoded(id)) }
        return attrs
    }

    /// The URI handed to libp11: the key's private object only, no PIN source nor module.
    var engineURI: String {
        "pkcs11:" + (pathAttributes + ["type=private"]).joined(separator: ";")
    }

    /// The token part alone, for messages ("(any token)" when the URI names none).
    public var tokenDescription: String {
        let attrs = pathAttributes.filter { !$0.hasPrefix("object=") && !$0.hasPrefix("id=") }
        return attrs.isEmpty ? "(any token)" : attrs.joined(separator: ";")
    }

    /// The canonical text (as a store keeps it): parses back to an equal value.
    public var description: String {
        var query: [String] = []
        if let pinSource { query.append("pin-source=" + Self.encoded(("file:" + pinSource).utf8, keeping: Self.queryKept)) }
        if let modulePath { query.append("module-path=" + Self.encoded(modulePath.utf8, keeping: Self.queryKept)) }
        return "pkcs11:" + pathAttributes.joined(separator: ";") + (query.isEmpty ? "" : "?" + query.joined(separator: "&"))
    }
}
