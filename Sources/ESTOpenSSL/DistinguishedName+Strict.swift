import Foundation

extension DistinguishedName {
    /// Throws unless the Name is exact DER (RFC 5280 §4.1.2.4: SEQUENCE OF SET OF
    /// AttributeTypeAndValue) whose values are UTF8String, PrintableString or IA5String
    /// within their character sets, without control characters or NUL.
    public func checkStrict() throws(NameError) {
        guard let outer = DER.elements(der), outer.count == 1, outer[0].tag == 0x30,
              let rdns = DER.elements(outer[0].content) else { throw NameError("not one SEQUENCE") }
        var rebuilt: [Data] = []
        for rdn in rdns {
            guard rdn.tag == 0x31, let pairs = DER.elements(rdn.content), !pairs.isEmpty else {
                throw NameError("a relative name is not a non-empty SET")
            }
            var rebuiltPairs: [Data] = []
            for pair in pairs {
                guard pair.tag == 0x30, let fields = DER.elements(pair.content), fields.count == 2,
                      let type = DER.oid(fields[0]) else { throw NameError("an attribute is not { type, value }") }
                do { _ = try ASN1String.text(tag: fields[1].tag, fields[1].content) }
                catch { throw NameError("attribute \(type): \(error)") }
                // The OID's content as received: OID(derContent:) took it as minimal, and
                // re-encoding it from its dotted text would cost more than the rest.
                rebuiltPairs.append(DER.sequence([DER.tlv(0x06, fields[0].content), DER.tlv(fields[1].tag, fields[1].content)]))
            }
            // X.690 §11.6: the values of a SET OF in ascending order of their encodings.
            guard zip(rebuiltPairs, rebuiltPairs.dropFirst()).allSatisfy({ $0.0.lexicographicallyPrecedes($0.1) }) else {
                throw NameError("a multi-valued relative name is not in DER order")
            }
            rebuilt.append(DER.set(rebuiltPairs))
        }
        guard DER.sequence(rebuilt) == der else { throw NameError("not DER (a length or an encoding is not the minimal one)") }
    }
}
