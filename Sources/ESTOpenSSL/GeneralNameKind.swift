import Foundation

/// The GeneralName alternatives of RFC 5280 §4.2.1.6, by their context-specific tag.
public enum GeneralNameKind: UInt8, CaseIterable, Hashable, Sendable, CustomStringConvertible {
    case otherName = 0
    case rfc822Name = 1
    case dNSName = 2
    case x400Address = 3
    case directoryName = 4
    case ediPartyName = 5
    case uniformResourceIdentifier = 6
    case iPAddress = 7
    case registeredID = 8

    /// The kind of a GeneralName element from its identifier octet ([n] IMPLICIT or EXPLICIT).
    public init?(tag: UInt8) {
        guard tag & 0xc0 == 0x80 else { return nil }  // context-specific class
        self.init(rawValue: tag & 0x1f)
    }

    public var description: String {
        switch self {
        case .otherName: return "otherName"
        case .rfc822Name: return "rfc822Name"
        case .dNSName: return "dNSName"
        case .x400Address: return "x400Address"
        case .directoryName: return "directoryName"
        case .ediPartyName: return "ediPartyName"
        case .uniformResourceIdentifier: return "uniformResourceIdentifier"
        case .iPAddress: return "iPAddress"
        case .registeredID: return "registeredID"
        }
    }

    /// The kinds present in a subjectAltName extension value (GeneralNames DER); nil when
    /// it is not a SEQUENCE of GeneralNames filling the value exactly.
    public static func kinds(inGeneralNames der: Data) -> [GeneralNameKind]? {
        guard let outer = DER.elements(der), outer.count == 1, outer[0].tag == 0x30,
              let names = DER.elements(outer[0].content) else { return nil }
        var kinds: [GeneralNameKind] = []
        for name in names {
            guard let kind = GeneralNameKind(tag: name.tag) else { return nil }
            kinds.append(kind)
        }
        return kinds
    }
}
