// libFuzzer target: the EST request-body decoder (RFC 7030 §4.2.1 / RFC 8951 §3: a CSR as
// DER, PEM or base64 with any wrapping). Built and run by scripts/fuzz.
import ESTOpenSSL
import Foundation
import FuzzDriver

let csrLabels: Set<String> = ["CERTIFICATE REQUEST", "NEW CERTIFICATE REQUEST"]

/// Crashes (so libFuzzer records the input) with a message naming the broken invariant.
func invariant(_ ok: @autoclosure () -> Bool, _ what: @autoclosure () -> String) {
    if !ok() {
        let line = "FuzzBody invariant violated: \(what())\n"
        line.withCString { _ = write(2, $0, strlen($0)) }
        abort()
    }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let input = Data(bytes: data, count: size)

    // The three decoders on the raw input: they may refuse, never crash.
    let any = PEM.derFromAnyEncoding(input)
    let anyCSR = PEM.derFromAnyEncoding(input, labels: csrLabels)
    let b64 = PEM.decodeBase64(input)
    _ = PEM.blocks(in: String(decoding: input, as: UTF8.self))
    if anyCSR != nil { invariant(any != nil, "a CSR label restriction accepted what no restriction refused") }
    if input.first == 0x30 { invariant(any == input, "DER input not passed through unchanged") }
    if let b64, !b64.isEmpty {
        invariant(PEM.decodeBase64(Data(b64.base64EncodedString().utf8)) == b64, "decoded base64 does not re-decode")
    }

    if let csr = try? CertificateSigningRequest(anyEncoding: input) {
        _ = (csr.subject.string, csr.attributes.count, csr.requestedExtensions.count,
             csr.subjectAltNameKinds, csr.publicKey.algorithm, csr.signatureIsValid)
        // What was parsed is what the DER says: parsing its own DER again gives the same DER,
        // and its PEM and base64 forms decode to it.
        let again = try? CertificateSigningRequest(der: csr.der)
        invariant(again?.der == csr.der, "CSR DER does not round-trip")
        invariant(PEM.derFromAnyEncoding(Data(csr.pem.utf8), labels: csrLabels) == csr.der, "CSR PEM does not round-trip")
        invariant(PEM.derFromAnyEncoding(Data(csr.der.base64Wrapped().utf8)) == csr.der, "CSR base64 does not round-trip")
    }

    // The input as a payload: its encodings decode back to it.
    if !input.isEmpty {
        invariant(PEM.decodeBase64(Data(input.base64EncodedString().utf8)) == input, "base64 round trip")
        invariant(PEM.decodeBase64(Data(input.base64Wrapped(lineLength: 76).utf8)) == input, "wrapped base64 round trip")
        let pem = PEM.encode(input, label: "CERTIFICATE REQUEST")
        invariant(PEM.blocks(in: pem, labels: csrLabels) == [input], "PEM round trip")
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
