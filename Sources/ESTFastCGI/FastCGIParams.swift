/// The FastCGI parameters (CGI variables) of one request.
enum FastCGIParams {
    /// `NAME=value` entries to a dictionary. libfcgi answers the first of duplicated names
    /// (so does nginx's `fastcgi_param` order); keep the same rule. Entries without `=`
    /// are ignored.
    static func parse<S: Sequence>(_ entries: S) -> [String: String] where S.Element == String {
        var params: [String: String] = [:]
        for entry in entries {
            guard let eq = entry.firstIndex(of: "=") else { continue }
            let key = String(entry[..<eq])
            if params[key] == nil { params[key] = String(entry[entry.index(after: eq)...]) }
        }
        return params
    }
}
