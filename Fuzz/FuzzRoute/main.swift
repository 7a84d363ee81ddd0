// libFuzzer target: request routing (RFC 7030 §3.2.2 paths and profile labels). Built and
// run by scripts/fuzz.
//
// Input: fields separated by 0xFF bytes (0xFF never occurs in UTF-8, so every other byte,
// NUL included, can be in a field):
//   path 0xFF pinned 0xFF DOCUMENT_URI 0xFF SCRIPT_NAME 0xFF PATH_INFO 0xFF REQUEST_URI
// A missing field is an absent value (nil / unset variable); an empty one is "".
import ESTCore
import Foundation
import FuzzDriver

func invariant(_ ok: @autoclosure () -> Bool, _ what: @autoclosure () -> String) {
    if !ok() {
        let line = "FuzzRoute invariant violated: \(what())\n"
        line.withCString { _ = write(2, $0, strlen($0)) }
        abort()
    }
}

/// Checks what a parsed route promises about the path it came from.
func check(_ route: Route, path: String, pinned: String?) {
    let prefix = "/.well-known/est/"
    invariant(path.hasPrefix(prefix), "route from a path outside \(prefix): \(path.debugDescription)")
    let rest = String(path.dropFirst(prefix.count))
    // Routes that name no profile and ignore a pin: a CA's CRL by name (RFC 5280 §4.2.1.13)
    // and OCSP (RFC 6960 Appendix A: POST, or GET with the request as the rest of the path).
    if let issuer = route.crlIssuer {
        // `NAME` or `NAME(N)`: a later key's CRL has its own URL since `ca rollover`.
        invariant(route.operation == .crl && route.label == nil && rest == "crl/" + issuer && CRLIssuerPath.parse(issuer) != nil,
                  "path \(path.debugDescription) is not the CRL route \(route)")
        return
    }
    if route.operation == .ocsp {
        invariant(route.label == nil, "OCSP route \(route) names a profile")
        invariant(route.ocspGET ? rest.hasPrefix("ocsp/") : rest == "ocsp", "path \(path.debugDescription) is not the OCSP route \(route)")
        return
    }
    let urlLabel: String? = rest.contains("/") ? String(rest.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)[0]) : nil
    // The path is exactly prefix + [label/] + operation: nothing was skipped or normalised.
    invariant(rest == (urlLabel.map { $0 + "/" } ?? "") + route.operation.rawValue,
              "path \(path.debugDescription) is not the route's \(route)")
    if let urlLabel {
        invariant((try? ProfileLabel.validate(urlLabel)) != nil, "URL label \(urlLabel.debugDescription) accepted")
    }
    if let pinned, !pinned.isEmpty {
        invariant(route.label == pinned, "pinned \(pinned.debugDescription) but routed to \(route)")
        invariant(urlLabel == nil || urlLabel == pinned, "URL label \(urlLabel!.debugDescription) beside pin \(pinned.debugDescription)")
    } else {
        invariant(route.label == urlLabel, "label \(String(describing: route.label)) is not the URL's")
    }
    // A routed label passes the label syntax, a pinned one (ESTFCGI_PROFILE) included since
    // the fix of Fuzz/crashes/FuzzRoute (FUZZ_ROUTE_STRICT_PIN=0 checks URL labels only).
    if let label = route.label, urlLabel != nil || strictPin {
        invariant((try? ProfileLabel.validate(label)) != nil, "routed label \(label.debugDescription) fails ProfileLabel.validate")
    }
}

let strictPin = ProcessInfo.processInfo.environment["FUZZ_ROUTE_STRICT_PIN"] != "0"

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let fields = UnsafeBufferPointer(start: data, count: size)
        .split(separator: 0xFF, omittingEmptySubsequences: false)
        .map { String(decoding: $0, as: UTF8.self) }
    func field(_ i: Int) -> String? { i < fields.count ? fields[i] : nil }

    let pinned = field(1)
    if let path = field(0), let route = try? Route.parse(path: path, pinned: pinned) {
        check(route, path: path, pinned: pinned)
    }

    var params: [String: String] = [:]
    for (i, name) in ["DOCUMENT_URI", "SCRIPT_NAME", "PATH_INFO", "REQUEST_URI"].enumerated() {
        if let v = field(2 + i) { params[name] = v }
    }
    if let pinned { params["ESTFCGI_PROFILE"] = pinned }
    let request = ESTRequest(params: params)
    let path = request.path
    if let uri = params["DOCUMENT_URI"], !uri.isEmpty { invariant(path == uri, "DOCUMENT_URI not preferred") }
    _ = (request.method, request.contentType, request.clientCertificatePEM)
    if let route = try? Route.parse(path: path, pinned: request.params["ESTFCGI_PROFILE"]) {
        check(route, path: path, pinned: pinned)
    }
    return 0
}

@main enum Main {
    static func main() { runLibFuzzer(testOneInput) }
}

/// libFuzzer's callback: `fuzz`, above, with a non-null pointer.
private func testOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    fuzz(data ?? emptyInput, size)
}
