// libFuzzer target: a PKCS#10 CSR as DER, then as the body of a simpleenroll through the
// real EST core, CA policy and SQLite store (Fuzz/FuzzSupport's CAFixture). Built and run by
// scripts/fuzz.
import ESTCore
import ESTOpenSSL
import Foundation
import FuzzDriver
import FuzzSupport

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let input = Data(bytes: data, count: size)
    let fixture = CAFixture.shared

    if let csr = try? CertificateSigningRequest(der: input) {
        // Every public property; they were read when parsed, so none may fail now.
        _ = (csr.der, csr.subject.string, csr.subject.der, csr.subject.attributeOIDs, csr.subject.commonName,
             csr.subject.isEmpty, csr.signatureAlgorithm.dotted, csr.pem, csr.subjectAltNameDER)
        for a in csr.attributes { _ = (a.oid.dotted, a.values.map(\.count), csr.attribute(a.oid)) }
        for e in csr.requestedExtensions { _ = (e.oid.dotted, e.critical, e.value.count) }
        _ = (csr.subjectAltNameKinds, csr.publicKey.algorithm, csr.publicKey.spkiDER, csr.publicKey.keyIdentifier,
             csr.signatureIsValid)
        _ = try? ServerKeyGenRequest(parsing: csr)
        _ = try? ReenrollmentRequest(csr: csr, current: fixture.bootstrap).checkIdentity()
        invariant(csr.der.first == 0x30, "CSR DER does not start with a SEQUENCE")
    }

    // The same bytes as an enrollment, under the default profile and under one that enforces
    // its CSR attributes.
    for path in ["/.well-known/est/simpleenroll", "/.well-known/est/strict/simpleenroll"] {
        let outcome = fixture.service.handle(ESTRequest(params: [
            "REQUEST_METHOD": "POST",
            "DOCUMENT_URI": path,
            "CONTENT_TYPE": "application/pkcs10",
            "SSL_CLIENT_CERT": fixture.bootstrap.pem,
        ], body: input))
        let status = outcome.response.status
        if trace { traceLine(outcome.logLine) }
        invariant([200, 400, 401, 403, 404, 413, 415].contains(status),
                  "FuzzCSR: \(path) answered \(status): \(outcome.reason)")
        if status == 200 {
            guard let csr = try? CertificateSigningRequest(anyEncoding: input), csr.signatureIsValid else {
                fail("FuzzCSR: issued for a body that is not a CSR with a valid signature")
            }
            fixture.checkIssued(outcome, target: "FuzzCSR")
        }
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
