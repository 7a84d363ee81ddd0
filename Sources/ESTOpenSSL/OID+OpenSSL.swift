internal import COpenSSL

extension OID {
    /// The dotted form of a borrowed ASN1_OBJECT; nil when OpenSSL cannot print it as
    /// one within 64-bit arcs.
    init?(objectText object: OpaquePointer) {
        var buf = [CChar](repeating: 0, count: 128)
        let n = OBJ_obj2txt(&buf, Int32(buf.count), object, 1)
        guard n > 0, n < 128 else { return nil }
        self.init(String(decoding: buf.prefix(Int(n)).map { UInt8(bitPattern: $0) }, as: UTF8.self))
    }
}
