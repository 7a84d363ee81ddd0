// libFuzzer target: what the FastCGI adapter does with one request before and after the
// EST core: FastCGIParams.parse over the parameter entries, RequestBody.read over the stdin
// stream, then the whole request through ESTService over the real CA (FuzzSupport's
// CAFixture). Built and run by scripts/fuzz.
//
// Input layout:
//   byte 0      body cap for RequestBody.read: 4 * byte (0...1020), so truncation is reachable
//   byte 1      the most bytes the reader hands out per call: 1 + byte % 97
//   entries     NAME=value entries separated by NUL (as libfcgi's envp: C strings), ended by
//               an empty entry (two NULs in a row) or the end of the input
//   the rest    the request body stream (FCGI_STDIN)
// The value `@bootstrap` of SSL_CLIENT_CERT is replaced by the fixture's bootstrap certificate
// PEM (`@bootstrap-escaped`: URL-escaped, as nginx's $ssl_client_escaped_cert), since that
// certificate is made afresh in every run; `@enrolled` by its device certificate under the
// default profile (subject and subjectAltName of Tests/Vectors/csr/ossl-p256-san, so that
// CSR re-enrolls it).
//
// FUZZ_PARAMS_STRICT=1 compares the parsed parameters with libfcgi's byte-level reading for
// every input; by default only all-ASCII entries are, since Swift dictionary keys compare by
// canonical equivalence (Fuzz/crashes/FuzzParams/canonically-equal-names, accepted: see
// Fuzz/crashes/README.md).
import ESTCore
import ESTFastCGI
import ESTOpenSSL
import Foundation
import FuzzDriver
import FuzzSupport

let strict = ProcessInfo.processInfo.environment["FUZZ_PARAMS_STRICT"] == "1"

/// NAME=value split at the first '=' byte, first name wins: what a C reader of envp (and
/// libfcgi's FCGX_GetParam) sees, after the same UTF-8 repair the adapter applies.
func byteLevelParams(_ entries: [[UInt8]]) -> [[UInt8]: [UInt8]] {
    var out: [[UInt8]: [UInt8]] = [:]
    for e in entries {
        let text = Array(String(decoding: e, as: UTF8.self).utf8)
        guard let eq = text.firstIndex(of: UInt8(ascii: "=")) else { continue }
        let key = Array(text[..<eq])
        if out[key] == nil { out[key] = Array(text[(eq + 1)...]) }
    }
    return out
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    guard bytes.count >= 2 else { return 0 }
    let cap = Int(bytes[0]) * 4
    let chunk = 1 + Int(bytes[1]) % 97

    // Entries, up to the empty one.
    var entries: [[UInt8]] = []
    var i = 2
    var current: [UInt8] = []
    var streamStart = bytes.count
    while i < bytes.count {
        if bytes[i] == 0 {
            if current.isEmpty { streamStart = i + 1; break }
            entries.append(current)
            current = []
        } else {
            current.append(bytes[i])
        }
        i += 1
    }
    if !current.isEmpty { entries.append(current) }
    let stream = Array(bytes[min(streamStart, bytes.count)...])

    // --- FastCGIParams.parse
    let fixture = CAFixture.shared
    // As the adapter reads them: a NULL-terminated array of C strings, as libfcgi's envp.
    var cEntries: [UnsafeMutablePointer<CChar>?] = entries.map { e in strdup(e.map { CChar(bitPattern: $0) } + [0]) }
    cEntries.append(nil)
    var params = cEntries.withUnsafeMutableBufferPointer { FastCGIParams.parse($0.baseAddress) }
    cEntries.forEach { free($0) }
    invariant(params == FastCGIParams.parse(entries.map { String(decoding: $0, as: UTF8.self) }),
              "FastCGIParams.parse of the C array differs from its parse of the entries as Strings")
    if strict || entries.allSatisfy({ $0.allSatisfy { $0 < 0x80 } }) {
        let reference = byteLevelParams(entries)
        let got = Dictionary(params.map { (Array($0.key.utf8), Array($0.value.utf8)) }, uniquingKeysWith: { a, _ in a })
        invariant(got == reference, "FastCGIParams.parse differs from the byte-level reading: "
                  + "parsed \(params.keys.sorted().map(\.debugDescription)), "
                  + "expected \(reference.keys.map { String(decoding: $0, as: UTF8.self).debugDescription }.sorted())")
    }

    // --- RequestBody.read
    var offset = 0
    var asked: [Int] = []
    let validDeclared = ESTRequest(params: params).declaredLength
    let (body, truncated, _) = RequestBody.read(declaredLength: validDeclared, cap: cap) { n in
        asked.append(n)
        let end = min(stream.count, offset + min(n, chunk))
        defer { offset = end }
        return Array(stream[offset..<end])
    }
    invariant(asked.allSatisfy { $0 > 0 }, "RequestBody asked for \(asked) bytes")
    invariant(body.count <= cap + 1, "body of \(body.count) bytes over cap \(cap) + 1")
    invariant(Array(body) == Array(stream.prefix(body.count)), "body is not a prefix of the stream")
    invariant(offset <= cap + 1, "read \(offset) bytes with a cap of \(cap)")
    if truncated {
        invariant(body.count == cap + 1 || (body.isEmpty && (validDeclared ?? 0) > cap), "truncated without cause")
    } else {
        invariant(body.count <= cap, "an untruncated body over the cap")
        if let d = validDeclared {
            invariant(body.count == min(d, stream.count), "read \(body.count) bytes of \(d) declared, \(stream.count) sent")
        } else {
            invariant(body.count == stream.count, "read \(body.count) of \(stream.count) bytes to EOF")
        }
    }

    // --- the request through the EST core and the CA.
    switch params["SSL_CLIENT_CERT"] {
    case "@bootstrap": params["SSL_CLIENT_CERT"] = fixture.bootstrap.pem
    case "@bootstrap-escaped":
        params["SSL_CLIENT_CERT"] = fixture.bootstrap.pem.addingPercentEncoding(withAllowedCharacters: .alphanumerics)
    case "@enrolled": params["SSL_CLIENT_CERT"] = fixture.enrolled.pem
    default: break
    }
    let request = ESTRequest(params: params, body: body, bodyTruncated: truncated)
    _ = (request.method, request.path, request.contentType, request.clientCertificatePEM)
    // The adapter's order: a refusal that needs no body first, then the whole request.
    let outcome = fixture.service.refusalBeforeBody(ESTRequest(params: params)) ?? fixture.service.handle(request)
    let status = outcome.response.status
    if trace { traceLine(outcome.logLine) }
    // 500 only for a location misconfigured with an invalid ESTFCGI_PROFILE (a fuzzed one here).
    invariant(CAFixture.expectedStatuses.contains(status) || (status == 500 && outcome.reason.hasPrefix("ESTFCGI_PROFILE")),
              "FuzzParams: \(outcome.logLine)")
    if status == 501 { invariant(outcome.operation == "fullcmc", "501 for \(outcome.operation)") }
    if status == 200, ["simpleenroll", "simplereenroll", "serverkeygen"].contains(outcome.operation) {
        fixture.checkIssued(outcome, target: "FuzzParams")
    }
    _ = outcome.logLine
    return 0
}

@main enum Main {
    static func main() { runLibFuzzer(testOneInput) }
}

/// libFuzzer's callback: `fuzz`, above, with a non-null pointer.
private func testOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    fuzz(data ?? emptyInput, size)
}
