import Glibc

/// The FastCGI parameters (CGI variables) of one request.
public enum FastCGIParams {
    /// `NAME=value` entries to a dictionary. libfcgi answers the first of duplicated names
    /// (so does nginx's `fastcgi_param` order); keep the same rule. Entries without `=`
    /// are ignored.
    public static func parse<S: Sequence>(_ entries: S) -> [String: String] where S.Element == String {
        var params: [String: String] = [:]
        for entry in entries { add(entry.utf8, to: &params) }
        return params
    }

    /// `parse` of a NULL-terminated C array of `NAME=value` strings (libfcgi's
    /// FCGX_ParamArray, a CGI program's `environ`), read in place: each name and value is
    /// made once from the C bytes, without a whole-entry String between (a fifth of the
    /// adapter's CPU per request went to the two steps).
    public static func parse(_ array: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> [String: String] {
        var params: [String: String] = [:]
        guard var p = array else { return params }
        params.reserveCapacity(64)
        while let entry = p.pointee {
            p += 1
            add(UnsafeRawBufferPointer(start: entry, count: strlen(entry)), to: &params)
        }
        return params
    }

    /// One entry, split at the first `=` byte, as libfcgi and every C reader of an
    /// environment do (a Swift `Character` search would skip an `=` followed by a combining
    /// mark); bytes that are not UTF-8 are repaired.
    private static func add<Bytes: Collection>(_ bytes: Bytes, to params: inout [String: String]) where Bytes.Element == UInt8 {
        guard let eq = bytes.firstIndex(of: UInt8(ascii: "=")) else { return }
        let key = String(decoding: bytes[..<eq], as: UTF8.self)
        if params[key] == nil { params[key] = String(decoding: bytes[bytes.index(after: eq)...], as: UTF8.self) }
    }
}
