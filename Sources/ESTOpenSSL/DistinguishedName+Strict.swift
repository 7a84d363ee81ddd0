import Foundation

extension DistinguishedName {
    /// Throws unless the Name is exact DER (RFC 5280 §4.1.2.4: SEQUENCE OF SET OF
    /// AttributeTypeAndValue) whose values are UTF8String, PrintableString or IA5String
    /// within their character sets, without control characters or NUL.
    public func checkStrict() throws(NameError) {
        guard let outer = DER.elements(der), outer.count == 1, outer[0].tag == 0x30,
              let rdns = DER.elements(outer[0].content) else { throw NameError("not one SEQUENCE") }
        var minimal = outer[0].hasMinimalLength
        for rdn in rdns {
            guard rdn.tag == 0x31, let pairs = DER.elements(rdn.content), !pairs.isEmpty else {
                throw NameError("a relative name is not a non-empty SET")
            }
            minimal = minimal && rdn.hasMinimalLength
            for pair in pairs {
                guard pair.tag == 0x30, let fields = DER.elements(pair.content), fields.count == 2,
                      let type = DER.oid(fields[0]) else { throw NameError("an attribute is not { type, value }") }
                do { _ = try ASN1String.text(tag: fields[1].tag, fields[1].content) }
                catch { throw NameError("attribute \(type): \(error)") }
                // OID(derContent:) took the OID's content as minimal; the lengths are checked here.
                minimal = minimal && pair.hasMinimalLength && fields[0].hasMinimalLength && fields[1].hasMinimalLength
            }
            // X.690 §11.6: the values of a SET OF in ascending order of their encodings.
            guard zip(pairs, pairs.dropFirst()).allSatisfy({ $0.0.encoded.lexicographicallyPrecedes($0.1.encoded) }) else {
                throw NameError("a multi-valued relative name is not in DER order")
            }
        }
        guard minimal else { throw NameError("not DER (a length or an encoding is not the minimal one)") }
    }
}
