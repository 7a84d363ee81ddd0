internal import COpenSSL
import Foundation

/// An X.501 Name, kept as its DER so that comparisons are exact (RFC 7030 §4.2.2
/// compares the re-enrollment Subject with the certificate's, byte for byte). Its text
/// and attributes are read once, when it is made.
public struct DistinguishedName: Hashable, Sendable, CustomStringConvertible {
    public let der: Data
    /// RFC 2253 text (`CN=...,O=...`).
    public let string: String
    /// The attribute types in DER order (2.5.4.3 commonName, 2.5.4.5 serialNumber, ...).
    public let attributeOIDs: [OID]
    /// The attribute values as UTF-8 text, in the same order.
    public let attributeValues: [String]
    /// The X509_NAME this was read from, when it was decoded from DER here: `withName`
    /// lends it rather than decoding the DER again (a CSR's subject is compared with every
    /// CA's on each enrollment).
    private let decoded: DecodedName?

    /// Parses the DER of a Name; it must fill `der` exactly.
    public init(der: Data) throws {
        guard let name = DERBridge.decode(der, free: { X509_NAME_free($0) }, { p, n in d2i_X509_NAME(nil, p, n) }) else {
            throw OpenSSLError("parse name", detail: "not a DER Name")
        }
        try self.init(taking: name)
    }

    /// Takes ownership of `name`, which d2i_X509_NAME made (also when reading it fails).
    init(taking name: OpaquePointer) throws {
        let owner = DecodedName(name)
        try self.init(reading: name, decoded: owner)
    }

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
            guard X509_NAME_add_entry_by_txt(name, key, MBSTRING_UTF8, value, -1, -1, 0) == 1 else {
                throw OpenSSLError("parse subject", detail: "unknown attribute '\(key)'")
            }
        }
        try self.init(reading: name)
    }

    /// Copies a borrowed X509_NAME.
    init(reading name: OpaquePointer) throws {
        try self.init(reading: name, decoded: nil)
    }

    private init(reading name: OpaquePointer, decoded: DecodedName?) throws {
        self.decoded = decoded
        der = try DERBridge.encode("i2d_X509_NAME") { i2d_X509_NAME(name, $0) }
        let bio = try MemoryBIO()
        guard X509_NAME_print_ex(bio.bio, name, 0, estfcgi_XN_FLAG_RFC2253()) >= 0 else {
            throw OpenSSLError("print name")
        }
        string = bio.string
        var oids: [OID] = []
        var values: [String] = []
        for i in 0..<X509_NAME_entry_count(name) {
            guard let entry = X509_NAME_get_entry(name, i), let object = X509_NAME_ENTRY_get_object(entry),
                  let oid = OID(objectTextAnyArcs: object), let asn1 = X509_NAME_ENTRY_get_data(entry) else {
                throw OpenSSLError("name attribute")
            }
            var out: UnsafeMutablePointer<UInt8>?
            let n = ASN1_STRING_to_UTF8(&out, asn1)
            guard n >= 0, let o = out else { throw OpenSSLError("name attribute \(oid)", detail: "not convertible to UTF-8") }
            defer { estfcgi_OPENSSL_free(o) }
            oids.append(oid)
            values.append(String(decoding: UnsafeBufferPointer(start: o, count: Int(n)), as: UTF8.self))
        }
        attributeOIDs = oids
        attributeValues = values
    }

    /// Lends the Name to OpenSSL as an X509_NAME for the duration of `body`, which must
    /// not change it.
    func withName<T>(_ body: (OpaquePointer) throws -> T) throws -> T {
        if let decoded { return try body(decoded.name) }
        guard let name = DERBridge.decode(der, free: { X509_NAME_free($0) }, { p, n in d2i_X509_NAME(nil, p, n) }) else {
            throw OpenSSLError("decode X509_NAME")
        }
        defer { X509_NAME_free(name) }
        return try body(name)
    }

    public var isEmpty: Bool { attributeOIDs.isEmpty }

    /// The value of the first attribute of type `oid`, if any.
    public func value(of oid: OID) -> String? {
        attributeOIDs.firstIndex(of: oid).map { attributeValues[$0] }
    }

    /// Every value of attribute type `oid`, in DER order.
    public func values(of oid: OID) -> [String] {
        zip(attributeOIDs, attributeValues).filter { $0.0 == oid }.map(\.1)
    }

    /// Equal as names (RFC 5280 §7.1), not only as bytes: OpenSSL's canonical form (string
    /// types to UTF-8, ASCII case and spacing folded, x_name.c asn1_string_canon), and, for
    /// values beyond ASCII, which OpenSSL compares byte for byte, RFC 4518's preparation
    /// (`preparedRDNs`).
    public func isEquivalent(to other: DistinguishedName) -> Bool {
        if self == other { return true }
        let result = try? withName { a in try other.withName { b in X509_NAME_cmp(a, b) } }
        OpenSSLError.drainQueue()
        return result == 0 || isPreparedEquivalent(to: other)
    }

    /// The index of the first of `certificates` whose subject `isEquivalent(to:)` this name. This name is
    /// decoded once, and each subject is compared as its certificate's X509 holds it (with
    /// its canonical form, made when it was decoded), rather than both names decoded for
    /// every comparison: each enrollment compares the CSR's subject with every CA's.
    public func firstEquivalentSubject(in certificates: [Certificate]) -> Int? {
        defer { OpenSSLError.drainQueue() }
        do {
            return try withName { a in
                certificates.firstIndex { c in
                    if c.subject == self { return true }
                    // X509_NAME_cmp only reads a name decoded from DER, so threads may share it.
                    if let b = X509_get_subject_name(c.x509), X509_NAME_cmp(a, b) == 0 { return true }
                    return isPreparedEquivalent(to: c.subject)
                }
            }
        } catch {
            return certificates.firstIndex { $0.subject.isEquivalent(to: self) }
        }
    }

    /// RFC 4518's preparation, for values beyond ASCII, which OpenSSL compares byte for byte.
    private func isPreparedEquivalent(to other: DistinguishedName) -> Bool {
        guard hasNonASCIIValue || other.hasNonASCIIValue, let a = preparedRDNs, let b = other.preparedRDNs else { return false }
        return a == b
    }

    /// The value of the first commonName, if any.
    public var commonName: String? { value(of: .commonName) }
    public var description: String { string }

    public static func == (a: Self, b: Self) -> Bool { a.der == b.der }
    public func hash(into h: inout Hasher) { h.combine(der) }
}
