import COpenSSL
import Foundation

/// An X.501 Name, kept as its DER so that comparisons are exact (RFC 7030 §4.2.2
/// compares the re-enrollment Subject with the certificate's, byte for byte).
public struct DistinguishedName: Equatable, Hashable, Sendable, CustomStringConvertible {
    public let der: Data

    public init(der: Data) { self.der = der }

    /// Parses an RFC 4514 string such as `CN=Device 1,O=Example,C=DE` (most specific RDN
    /// first; `\,` escapes a comma). Attribute names are OpenSSL short or long names or OIDs.
    public init(parsing text: String) throws {
        var parts: [String] = []
        var current = ""
        var escaped = false
        for ch in text {
            if escaped { current.append(ch); escaped = false }
            else if ch == "\\" { escaped = true }
            else if ch == "," { parts.append(current); current = "" }
            else { current.append(ch) }
        }
        parts.append(current)
        guard let name = X509_NAME_new() else { throw OpenSSLError("X509_NAME_new") }
        defer { X509_NAME_free(name) }
        // RFC 4514 lists RDNs last-to-first relative to the DER SEQUENCE.
        for part in parts.reversed() {
            let trimmed = part.trimmingCharacters(in: .whitespaces)
            guard let eq = trimmed.firstIndex(of: "=") else {
                throw OpenSSLError("parse subject", detail: "'\(trimmed)' is not ATTRIBUTE=value")
            }
            let key = trimmed[..<eq].trimmingCharacters(in: .whitespaces)
            let value = trimmed[trimmed.index(after: eq)...].trimmingCharacters(in: .whitespaces)
            guard !key.isEmpty, !value.isEmpty else {
                throw OpenSSLError("parse subject", detail: "'\(trimmed)' has an empty attribute or value")
            }
            let ok = X509_NAME_add_entry_by_txt(name, key, MBSTRING_UTF8, value, -1, -1, 0)
            guard ok == 1 else { throw OpenSSLError("parse subject", detail: "unknown attribute '\(key)'") }
        }
        der = try derEncode("i2d_X509_NAME") { i2d_X509_NAME(name, $0) }
    }

    /// Borrow-copies an X509_NAME.
    init(copying name: OpaquePointer) {
        der = (try? derEncode("i2d_X509_NAME") { i2d_X509_NAME(name, $0) }) ?? Data()
    }

    func withName<T>(_ body: (OpaquePointer) throws -> T) throws -> T {
        guard let name = derDecode(der, { p, n in d2i_X509_NAME(nil, p, n) }) else {
            throw OpenSSLError("decode X509_NAME")
        }
        defer { X509_NAME_free(name) }
        return try body(name)
    }

    /// RFC 2253 text (`CN=...,O=...`).
    public var string: String {
        (try? withName { name -> String in
            guard let bio = try? MemoryBIO() else { return "" }
            X509_NAME_print_ex(bio.bio, name, 0, estfcgi_XN_FLAG_RFC2253())
            return bio.string
        }) ?? ""
    }

    public var description: String { string }

    /// The value of the first commonName, if any.
    public var commonName: String? {
        try? withName { name -> String? in
            let idx = X509_NAME_get_index_by_NID(name, NID_commonName, -1)
            guard idx >= 0, let entry = X509_NAME_get_entry(name, idx),
                  let asn1 = X509_NAME_ENTRY_get_data(entry) else { return nil }
            var out: UnsafeMutablePointer<UInt8>?
            let n = ASN1_STRING_to_UTF8(&out, asn1)
            guard n >= 0, let o = out else { return nil }
            defer { estfcgi_OPENSSL_free(o) }
            return String(decoding: UnsafeBufferPointer(start: o, count: Int(n)), as: UTF8.self)
        }
    }

    /// Dotted OIDs of the attributes in the name (2.5.4.3 commonName, 2.5.4.5 serialNumber, ...).
    public var attributeOIDs: [String] {
        (try? withName { name in
            (0..<X509_NAME_entry_count(name)).compactMap { i -> String? in
                guard let e = X509_NAME_get_entry(name, i), let o = X509_NAME_ENTRY_get_object(e) else { return nil }
                return oidString(o)
            }
        }) ?? []
    }

    public var isEmpty: Bool {
        (try? withName { X509_NAME_entry_count($0) == 0 }) ?? true
    }
}
