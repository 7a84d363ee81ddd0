internal import COpenSSL
import Foundation

/// An OCSP request (RFC 6960 §4.1), parsed once. What a responder needs of it: the CertIDs
/// and the nonce. A request signature (optionalSignature, §4.1.2) and requestorName are
/// ignored: this responder answers anyone about any certificate, as RFC 5019 §2.1.2 has
/// clients send unsigned requests; `isSigned` only reports one.
public struct OCSPRequest: Sendable {
    /// RFC 5019 §2.1.1 clients ask about one certificate; `openssl ocsp` can ask about several.
    public static let defaultMaxCertIDs = 16
    /// RFC 9654 §2.1 (which obsoletes RFC 8954 and its 1..32): Nonce ::= OCTET STRING(SIZE(1..128)).
    public static let nonceLengths = 1...128
    /// The longest GET path segment read (RFC 5019 §5 has clients use GET below 255 bytes;
    /// a request with 16 SHA-512 CertIDs and a nonce, base64 and fully percent-encoded, fits).
    public static let maxGETLength = 16_384

    /// The certificates asked about, in request order (§4.1.1 requestList).
    public let certIDs: [OCSPCertID]
    /// The nonce value (RFC 9654 §2.1: the octets of the Nonce OCTET STRING inside the
    /// extension's extnValue), nil when the request has none. RFC 9654 lets a responder drop
    /// a nonce of under 16 or over 32 octets; this one echoes every length the syntax allows
    /// (1 to 128: `openssl ocsp` sends 16), and the parse refuses the others as RFC 9654 §2.1
    /// has a responder refuse one over 128 octets, with malformedRequest. A response to a
    /// request without a nonce may be cached (RFC 5019 §4).
    public let nonce: Data?
    /// Whether the request carries optionalSignature; it is not verified (see the type).
    public let isSigned: Bool
    /// The request as received.
    public let der: Data

    /// Parses a DER OCSPRequest (the POST body, RFC 6960 Appendix A.1). Throws
    /// OCSPRequestError for anything but one well-formed v1 request with 1 to `maxCertIDs`
    /// CertIDs; `responseStatus` of the error is the answer to send.
    public init(der: Data, maxCertIDs: Int = OCSPRequest.defaultMaxCertIDs) throws(OCSPRequestError) {
        guard let req = DERBridge.decode(der, free: { OCSP_REQUEST_free($0) }, { p, n in d2i_OCSP_REQUEST(nil, p, n) }) else {
            throw .notDER("\(der.count) bytes that are not one OCSPRequest")
        }
        defer { OCSP_REQUEST_free(req) }
        try Self.checkVersion(der)

        let count = Int(OCSP_request_onereq_count(req))
        guard count > 0 else { throw .noCertID }
        guard count <= maxCertIDs else { throw .tooManyCertIDs(count: count, limit: maxCertIDs) }
        var ids: [OCSPCertID] = []
        ids.reserveCapacity(count)
        for i in 0..<Int32(count) {
            guard let one = OCSP_request_onereq_get0(req, i), let cid = OCSP_onereq_get0_id(one) else {
                throw .notDER("request \(i) has no CertID")
            }
            // singleRequestExtensions (§4.4.6 service locator, ...): none is implemented.
            try Self.checkExtensions(count: OCSP_ONEREQ_get_ext_count(one), where: "request \(i)") { OCSP_ONEREQ_get_ext(one, $0) }
            ids.append(try OCSPCertID(reading: cid))
        }

        var nonce: Data? = nil
        // Refuses a second nonce, as any extension twice.
        try Self.checkExtensions(count: OCSP_REQUEST_get_ext_count(req), where: "requestExtensions") { OCSP_REQUEST_get_ext(req, $0) }
        for i in 0..<OCSP_REQUEST_get_ext_count(req) {
            guard let ext = OCSP_REQUEST_get_ext(req, i), OBJ_obj2nid(X509_EXTENSION_get_object(ext)) == NID_id_pkix_OCSP_Nonce else {
                continue
            }
            guard let data = X509_EXTENSION_get_data(ext) else { throw .malformedNonce("no value") }
            // RFC 9654 §2.1: the extnValue OCTET STRING holds the DER of the Nonce OCTET STRING.
            guard let inner = DER.elements(asn1Bytes(UnsafePointer(data))), inner.count == 1, inner[0].tag == 0x04 else {
                throw .malformedNonce("the extension value is not one OCTET STRING (RFC 9654 §2.1)")
            }
            guard Self.nonceLengths.contains(inner[0].content.count) else {
                throw .malformedNonce("\(inner[0].content.count) octets (RFC 9654 §2.1: 1 to 128)")
            }
            nonce = inner[0].content
        }
        self.certIDs = ids
        self.nonce = nonce
        self.isSigned = OCSP_request_is_signed(req) == 1
        self.der = der
        OpenSSLError.drainQueue()
    }

    /// Parses the GET form: the path segment after the responder's URL, the base64 of the
    /// DER request, URL-encoded (RFC 6960 Appendix A.1). Percent escapes are decoded (base64
    /// has no '%', so a segment the web server decoded already reads the same); missing '='
    /// padding and the base64url alphabet ('-', '_', RFC 4648 §5) are accepted, as some
    /// clients send them; anything else outside the base64 alphabet is refused. Base64 has '/',
    /// so `segment` is the whole rest of the path after the responder's prefix, not one
    /// '/'-separated component.
    public init(base64URLPath segment: String, maxCertIDs: Int = OCSPRequest.defaultMaxCertIDs) throws(OCSPRequestError) {
        let bytes = Array(segment.utf8)
        guard !bytes.isEmpty else { throw .badGETEncoding("empty") }
        guard bytes.count <= Self.maxGETLength else {
            throw .badGETEncoding("\(bytes.count) characters (at most \(Self.maxGETLength))")
        }
        var text = [UInt8]()
        text.reserveCapacity(bytes.count)
        var i = 0
        while i < bytes.count {
            var c = bytes[i]
            if c == UInt8(ascii: "%") {
                guard i + 2 < bytes.count, let high = Self.hexValue(bytes[i + 1]), let low = Self.hexValue(bytes[i + 2]) else {
                    throw .badGETEncoding("a '%' not followed by two hex digits at character \(i)")
                }
                c = high << 4 | low
                i += 3
            } else {
                i += 1
            }
            switch c {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
                 UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "+"), UInt8(ascii: "/"), UInt8(ascii: "="):
                text.append(c)
            case UInt8(ascii: "-"): text.append(UInt8(ascii: "+"))
            case UInt8(ascii: "_"): text.append(UInt8(ascii: "/"))
            default: throw .badGETEncoding("byte 0x\(String(c, radix: 16)) is not base64")
            }
        }
        // '=' only as one or two final pad characters.
        let unpadded = text.prefix { $0 != UInt8(ascii: "=") }
        let padding = text.count - unpadded.count
        guard padding <= 2, text.suffix(padding).allSatisfy({ $0 == UInt8(ascii: "=") }) else {
            throw .badGETEncoding("'=' inside the base64")
        }
        guard unpadded.count % 4 != 1 else { throw .badGETEncoding("base64 of impossible length \(unpadded.count)") }
        let padded = Array(unpadded) + Array(repeating: UInt8(ascii: "="), count: (4 - unpadded.count % 4) % 4)
        guard padding == 0 || padded.count == text.count else { throw .badGETEncoding("wrong '=' padding") }
        guard let der = Data(base64Encoded: Data(padded)) else { throw .badGETEncoding("not base64") }
        try self.init(der: der, maxCertIDs: maxCertIDs)
    }

    private static func hexValue(_ c: UInt8) -> UInt8? {
        switch c {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return c - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return c - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return c - UInt8(ascii: "A") + 10
        default: return nil
        }
    }

    /// OpenSSL reads the version without checking it. In DER the DEFAULT v1 is absent
    /// (X.690 §11.5); a present [0] must at least say v1.
    private static func checkVersion(_ der: Data) throws(OCSPRequestError) {
        // OCSPRequest ::= SEQUENCE { tbsRequest SEQUENCE { version [0] EXPLICIT INTEGER DEFAULT v1, ... }, ... }
        guard let outer = DER.elements(der)?.first, let tbs = DER.elements(outer.content)?.first,
              let fields = DER.elements(tbs.content) else { throw .notDER("tbsRequest") }
        guard let first = fields.first, first.tag == 0xa0 else { return }
        guard let version = DER.elements(first.content), version.count == 1, version[0].tag == 0x02 else {
            throw .unsupportedVersion("(not an INTEGER)")
        }
        guard version[0].content == Data([0]) else { throw .unsupportedVersion("0x" + version[0].content.prefix(8).hexString) }
    }

    /// RFC 6960 §4.4: unrecognised extensions are ignored unless critical. Only the nonce
    /// is recognised, and only in requestExtensions; any extension twice is refused
    /// (RFC 5280 §4.2's rule for certificates, which OCSP's Extensions type shares).
    private static func checkExtensions(count: Int32, where place: String,
                                        _ get: (Int32) -> OpaquePointer?) throws(OCSPRequestError) {
        var seen = Set<String>()
        for i in 0..<max(0, count) {
            guard let ext = get(i), let object = X509_EXTENSION_get_object(ext) else {
                throw .notDER("\(place): extension \(i) cannot be read")
            }
            let oid = OID(objectText: object)?.dotted ?? "(unprintable OID)"
            guard seen.insert(oid).inserted else { throw .unsupportedExtension("\(oid) twice in \(place)") }
            let isNonce = place == "requestExtensions" && OBJ_obj2nid(object) == NID_id_pkix_OCSP_Nonce
            if X509_EXTENSION_get_critical(ext) == 1, !isNonce {
                throw .unsupportedExtension("\(oid) in \(place) is critical and not implemented (RFC 6960 §4.4)")
            }
        }
    }
}
