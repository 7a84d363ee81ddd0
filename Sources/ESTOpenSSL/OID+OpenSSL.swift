internal import COpenSSL
import Foundation

extension OID {
    /// The dotted form of a borrowed ASN1_OBJECT; nil when it is not a well-formed OID
    /// within 64-bit arcs and 127 characters (read from its content octets, as
    /// `init?(derContent:)`; OBJ_obj2txt and a parse of its text cost ten times as much).
    init?(objectText object: OpaquePointer) {
        let n = Int(OBJ_length(object))
        guard n > 0, let bytes = OBJ_get0_data(object),
              let oid = OID(derContent: Data(bytes: bytes, count: n)), oid.dotted.utf8.count < 128 else { return nil }
        self = oid
    }

    /// As `init?(objectText:)`, with arcs of any size (`init?(derContentAnyArcs:)`): for
    /// what a CSR names, which policy refuses by name when an arc is past 64 bits.
    init?(objectTextAnyArcs object: OpaquePointer) {
        let n = Int(OBJ_length(object))
        guard n > 0, let bytes = OBJ_get0_data(object),
              let oid = OID(derContentAnyArcs: Data(bytes: bytes, count: n)), oid.dotted.utf8.count < 128 else { return nil }
        self = oid
    }
}
