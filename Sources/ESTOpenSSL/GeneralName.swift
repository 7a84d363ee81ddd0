import Foundation

/// One subjectAltName entry (RFC 5280 §4.2.1.6), read strictly: exact DER, the content
/// rules of its kind, nothing after it.
public enum GeneralName: Hashable, Sendable, CustomStringConvertible {
    case dnsName(String)
    case ipAddress(Data)
    case rfc822Name(String)
    case uri(String)
    case directoryName(DistinguishedName)
    case otherName(type: OID, value: Data)
    case registeredID(OID)

    public var kind: GeneralNameKind {
        switch self {
        case .dnsName: return .dNSName
        case .ipAddress: return .iPAddress
        case .rfc822Name: return .rfc822Name
        case .uri: return .uniformResourceIdentifier
        case .directoryName: return .directoryName
        case .otherName: return .otherName
        case .registeredID: return .registeredID
        }
    }

    public var description: String {
        switch self {
        case .dnsName(let s): return "DNS:\(s)"
        case .ipAddress(let a): return "IP:\(a.map(String.init).joined(separator: a.count == 4 ? "." : ","))"
        case .rfc822Name(let s): return "email:\(s)"
        case .uri(let s): return "URI:\(s)"
        case .directoryName(let n): return "DirName:\(n)"
        case .otherName(let type, _): return "othername:\(type)"
        case .registeredID(let oid): return "RID:\(oid)"
        }
    }

    /// Parses a subjectAltName extension value: a non-empty SEQUENCE OF GeneralName in DER
    /// that fills `der` exactly. Returns the names and their DER re-encoded from what was
    /// read, which is what a certificate should carry.
    public static func parseAll(_ der: Data) throws(NameError) -> (names: [GeneralName], der: Data) {
        guard let outer = DER.elements(der), outer.count == 1, outer[0].tag == 0x30 else {
            throw NameError("not one SEQUENCE of GeneralNames (or data after it)")
        }
        guard let elements = DER.elements(outer[0].content), !elements.isEmpty else {
            throw NameError(DER.elements(outer[0].content) == nil ? "malformed GeneralNames" : "no names")
        }
        var names: [GeneralName] = []
        for e in elements { names.append(try parse(e)) }
        let encoded = DER.sequence(names.map(\.der))
        guard encoded == der else { throw NameError("not DER (a length or an encoding is not the minimal one)") }
        // OpenSSL reads these bytes back when the built certificate takes its text (and when
        // a chain is verified): a value it refuses (an odd-length BMPString, a UPN that is no
        // UTF8String) is the client's fault, a 400, not a failed signing.
        guard (try? Certificate.text(subjectAltName: encoded)) != nil else {
            OpenSSLError.drainQueue()
            throw NameError("OpenSSL cannot read them")
        }
        return (names, encoded)
    }

    static func parse(_ e: DER.Element) throws(NameError) -> GeneralName {
        guard let kind = GeneralNameKind(tag: e.tag) else { throw NameError(String(format: "tag 0x%02x is not a GeneralName", e.tag)) }
        let constructed = e.tag & 0x20 != 0
        switch kind {
        case .dNSName, .rfc822Name, .uniformResourceIdentifier:
            guard !constructed else { throw NameError("a constructed \(kind)") }
            let text: String
            do { text = try ASN1String.text(tag: ASN1String.ia5String, e.content) }
            catch { throw NameError("\(kind): \(error)") }
            guard !text.contains(" ") else { throw NameError("\(kind): a space") }
            switch kind {
            case .dNSName: return .dnsName(text)
            case .rfc822Name: return .rfc822Name(text)
            default: return .uri(text)
            }
        case .iPAddress:
            guard !constructed, e.content.count == 4 || e.content.count == 16 else {
                throw NameError("iPAddress of \(e.content.count) octets (4 or 16)")
            }
            return .ipAddress(e.content)
        case .directoryName:
            // [4] EXPLICIT Name
            guard constructed, let inner = DER.elements(e.content), inner.count == 1 else { throw NameError("malformed directoryName") }
            let name: DistinguishedName
            do { name = try DistinguishedName(der: inner[0].encoded) } catch { throw NameError("malformed directoryName") }
            do { try name.checkStrict() } catch { throw NameError("directoryName: \(error)") }
            return .directoryName(name)
        case .otherName:
            // [0] IMPLICIT SEQUENCE { type-id OID, value [0] EXPLICIT ANY }
            guard constructed, let fields = DER.elements(e.content), fields.count == 2, let type = DER.oid(fields[0]),
                  fields[1].tag == 0xa0, let inner = DER.elements(fields[1].content), inner.count == 1 else {
                throw NameError("malformed otherName")
            }
            // A string value (e.g. a Microsoft UPN, RFC 4556's KRB5PrincipalName parts) follows
            // the string rules; any value must be one DER element.
            if [ASN1String.utf8String, ASN1String.printableString, ASN1String.ia5String].contains(inner[0].tag) {
                do { _ = try ASN1String.text(tag: inner[0].tag, inner[0].content) } catch { throw NameError("otherName \(type): \(error)") }
            } else if inner[0].tag & 0x20 != 0, DER.elements(inner[0].content) == nil {
                throw NameError("otherName \(type): malformed value")
            }
            // The value is copied into the certificate as received (`der` below), so it
            // must be DER itself: a long-form length or a BOOLEAN 01 in it made a BER
            // certificate, or one OpenSSL cannot read back.
            guard DER.isCanonical(fields[1].content) else { throw NameError("otherName \(type): value is not DER") }
            return .otherName(type: type, value: fields[1].content)
        case .registeredID:
            guard !constructed, let oid = OID(derContent: e.content) else { throw NameError("malformed registeredID") }
            return .registeredID(oid)
        case .x400Address, .ediPartyName:
            throw NameError("\(kind) is not supported")
        }
    }

    /// The DER of this name, as it goes into a certificate.
    public var der: Data {
        switch self {
        case .dnsName(let s): return DER.tlv(0x82, Data(s.utf8))
        case .rfc822Name(let s): return DER.tlv(0x81, Data(s.utf8))
        case .uri(let s): return DER.tlv(0x86, Data(s.utf8))
        case .ipAddress(let a): return DER.tlv(0x87, a)
        case .directoryName(let n): return DER.tlv(0xa4, n.der)
        case .otherName(let type, let value): return DER.tlv(0xa0, type.der + DER.tlv(0xa0, value))
        case .registeredID(let oid): return DER.tlv(0x88, oid.der.dropFirst(2))
        }
    }
}
