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

    /// As `init?(objectText:)`, with arcs of any size: for what a CSR names, which policy
    /// refuses by name when an arc is past 64 bits.
    init?(objectTextAnyArcs object: OpaquePointer) {
        if let oid = OID(objectText: object) {
            self = oid
            return
        }
        let n = Int(OBJ_length(object))
        guard n > 0, let bytes = OBJ_get0_data(object) else { return nil }
        self.init(anyArcs: object, der: DER.tlv(0x06, Data(bytes: bytes, count: n)), limit: 127)
    }

    /// As `init?(derContent:)`, but an arc past 64 bits (X.690 §8.19 sets no bound) is read
    /// too, in decimal, with `arcsFit64Bits` false: a request naming one is refused by policy
    /// with a reason that says so (and audited), not as unreadable. Still nil unless minimal
    /// (X.690 §8.19.2, which c2i_ASN1_OBJECT checks) and at most 256 characters dotted.
    public init?(derContentAnyArcs content: Data) {
        if let oid = OID(derContent: content) {
            self = oid
            return
        }
        let der = DER.tlv(0x06, content)
        guard let object = DERBridge.decode(der, free: { ASN1_OBJECT_free($0) }, { p, n in d2i_ASN1_OBJECT(nil, p, n) }) else {
            return nil
        }
        defer { ASN1_OBJECT_free(object) }
        self.init(anyArcs: object, der: der, limit: 256)
    }

    /// The dotted form by OBJ_obj2txt, which reads arcs past 64 bits as BIGNUMs (only for
    /// OIDs `init?(derContent:)` refused: it costs ten times as much); nil past `limit` characters.
    private init?(anyArcs object: OpaquePointer, der: Data, limit: Int) {
        var text = [CChar](repeating: 0, count: limit + 1)
        let needed = OBJ_obj2txt(&text, Int32(text.count), object, 1)
        guard needed > 0, Int(needed) <= limit else { return nil }
        dotted = String(cString: text)
        self.der = der
    }
}
