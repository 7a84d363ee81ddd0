import Foundation

extension DistinguishedName {
    /// The RDNs with their values prepared as RFC 4518 prepares them, for the non-ASCII
    /// text X509_NAME_cmp compares byte for byte (OpenSSL folds only ASCII case): NFKC
    /// (§2.3), case folded (§2.2), white space trimmed and runs folded to one space (§2.6.1).
    /// Each RDN's attributes are sorted, as a SET has no order. Values that are not
    /// UTF8String, PrintableString or IA5String compare by their encoding. Nil when the
    /// Name cannot be read so.
    var preparedRDNs: [[String]]? {
        guard let outer = DER.elements(der), outer.count == 1, outer[0].tag == 0x30,
              let rdns = DER.elements(outer[0].content) else { return nil }
        var out: [[String]] = []
        for rdn in rdns {
            guard rdn.tag == 0x31, let pairs = DER.elements(rdn.content), !pairs.isEmpty else { return nil }
            var attributes: [String] = []
            for pair in pairs {
                guard pair.tag == 0x30, let fields = DER.elements(pair.content), fields.count == 2,
                      let type = DER.oid(fields[0]) else { return nil }
                if let text = try? ASN1String.text(tag: fields[1].tag, fields[1].content) {
                    attributes.append("\(type.dotted)=s:" + Self.prepared(text))
                } else {
                    attributes.append("\(type.dotted)=b:" + fields[1].encoded.map { String(format: "%02x", $0) }.joined())
                }
            }
            out.append(attributes.sorted())
        }
        return out
    }

    /// Whether any attribute value has a character beyond ASCII.
    var hasNonASCIIValue: Bool { attributeValues.contains { $0.utf8.contains { $0 >= 0x80 } } }

    static func prepared(_ text: String) -> String {
        let folded = text.precomposedStringWithCompatibilityMapping
            .folding(options: [.caseInsensitive], locale: nil)
            .precomposedStringWithCompatibilityMapping
        return folded.split(whereSeparator: { $0.isWhitespace }).joined(separator: " ")
    }
}
