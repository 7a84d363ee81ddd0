import ESTOpenSSL
import Foundation
import XCTest

/// A root, a CA under it that issues leaves, a delegated OCSP responder the CA issued, and
/// the `openssl` command line tool as the independent client: it writes the requests this
/// layer parses and verifies the responses it signs.
private final class OCSPFixture {
    let rootKey: PrivateKey
    let root: Certificate
    let caKey: PrivateKey
    let ca: Certificate
    let responderKey: PrivateKey
    let responder: Certificate
    let dir: URL

    init(ca type: KeyType = .ecP256, responder responderType: KeyType = .ecP256, cn: String = "OCSP Test CA") throws {
        rootKey = try PrivateKey.generate(.ecP256)
        root = try CertificateSigner.sign(CertificateTemplate(
            subject: try DistinguishedName(parsing: "CN=\(cn) Root,O=Example"), publicKey: try rootKey.publicKey,
            serial: try CertificateTemplate.randomSerial(), notBefore: Date() - 3600, notAfter: Date() + 86400 * 30,
            isCA: true, keyUsage: [.keyCertSign, .cRLSign]), issuer: nil, issuerKey: rootKey)
        caKey = try PrivateKey.generate(type)
        ca = try CertificateSigner.sign(CertificateTemplate(
            subject: try DistinguishedName(parsing: "CN=\(cn),O=Example"), publicKey: try caKey.publicKey,
            serial: try CertificateTemplate.randomSerial(), notBefore: Date() - 3600, notAfter: Date() + 86400 * 30,
            isCA: true, pathLength: 0, keyUsage: [.keyCertSign, .cRLSign]), issuer: root, issuerKey: rootKey)
        responderKey = try PrivateKey.generate(responderType)
        responder = try CertificateSigner.sign(CertificateTemplate.ocspResponder(
            subject: try DistinguishedName(parsing: "CN=\(cn) OCSP Responder,O=Example"), publicKey: try responderKey.publicKey,
            serial: try CertificateTemplate.randomSerial(), notBefore: Date() - 60, notAfter: Date() + 86400 * 2),
            issuer: ca, issuerKey: caKey)
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("ocsptests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        try write(root.pem, "root.pem")
        try write(ca.pem, "ca.pem")
        try write(responder.pem, "responder.pem")
    }

    deinit { try? FileManager.default.removeItem(at: dir) }

    func leaf(cn: String, serial: Data? = nil) throws -> Certificate {
        try CertificateSigner.sign(CertificateTemplate(
            subject: try DistinguishedName(parsing: "CN=\(cn)"), publicKey: try PrivateKey.generate(.ecP256).publicKey,
            serial: try serial ?? CertificateTemplate.randomSerial(), notBefore: Date() - 3600, notAfter: Date() + 86400,
            isCA: false, keyUsage: [.digitalSignature], extendedKeyUsage: [.clientAuth]), issuer: ca, issuerKey: caKey)
    }

    func write(_ text: String, _ name: String) throws {
        try Data(text.utf8).write(to: dir.appendingPathComponent(name))
    }

    func write(_ data: Data, _ name: String) throws {
        try data.write(to: dir.appendingPathComponent(name))
    }

    func read(_ name: String) throws -> Data { try Data(contentsOf: dir.appendingPathComponent(name)) }

    /// `openssl ocsp -issuer ca.pem [options] -cert leaf... -reqout name`, read back.
    func request(_ leaves: [Certificate], options: [String] = [], name: String = "req.der") throws -> Data {
        var arguments = ["ocsp", "-issuer", "ca.pem"] + options
        for (i, leaf) in leaves.enumerated() {
            try write(leaf.pem, "leaf\(i).pem")
            arguments += ["-cert", "leaf\(i).pem"]
        }
        let made = try openssl(arguments + ["-reqout", name], in: dir)
        XCTAssertEqual(made.status, 0, made.output)
        return try read(name)
    }

    /// `openssl ocsp -respin` verifying against root.pem, with the response text; the
    /// request given with `-reqin` when `reqin` is set, so that the nonce is compared.
    func verify(_ response: Data, reqin: String? = nil, extra: [String] = []) throws -> (status: Int32, output: String) {
        try write(response, "resp.der")
        var arguments = ["ocsp", "-respin", "resp.der", "-issuer", "ca.pem", "-CAfile", "root.pem",
                         "-verify_other", "ca.pem", "-resp_text"]
        if let reqin { arguments += ["-reqin", reqin] }
        return try openssl(arguments + extra, in: dir)
    }
}

/// Runs `openssl` with `arguments` in `directory`; stdout and stderr together.
private func openssl(_ arguments: [String], in directory: URL) throws -> (status: Int32, output: String) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = ["openssl"] + arguments
    process.currentDirectoryURL = directory
    let pipe = Pipe()
    process.standardOutput = pipe
    process.standardError = pipe
    try process.run()
    let data = pipe.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return (process.terminationStatus, String(decoding: data, as: UTF8.self))
}

/// How OpenSSL prints a GeneralizedTime: "Jun  1 08:00:00 2026 GMT".
private func opensslTime(_ date: Date) -> String {
    var calendar = Calendar(identifier: .gregorian)
    calendar.timeZone = TimeZone(identifier: "UTC")!
    let c = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second], from: date)
    let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
    return String(format: "%@ %2d %02d:%02d:%02d %d GMT", months[c.month! - 1], c.day!, c.hour!, c.minute!, c.second!, c.year!)
}

/// How `openssl ocsp` prints a serial: upper case, whole octets.
private func opensslSerial(_ certificate: Certificate) -> String {
    (certificate.serialHex.count % 2 == 0 ? "" : "0") + certificate.serialHex.uppercased()
}

/// Resident memory in bytes (Linux), as DecodeLeakTests reads it.
private func residentBytes() -> Int {
    let statm = (try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8)) ?? "0 0"
    return (Int(statm.split(separator: " ")[1]) ?? 0) * Int(sysconf(Int32(_SC_PAGESIZE)))
}

/// The request `openssl ocsp` wrote, in the GET form: base64, then URL-encoded.
private func getPath(_ der: Data) -> String {
    der.base64EncodedString().addingPercentEncoding(withAllowedCharacters: .alphanumerics)!
}

private func assertRequestError(_ expression: @autoclosure () throws -> OCSPRequest, _ expected: OCSPRequestError,
                                status: OCSPFailureStatus = .malformedRequest, _ message: String = "",
                                file: StaticString = #filePath, line: UInt = #line) {
    XCTAssertThrowsError(try expression(), message, file: file, line: line) { error in
        XCTAssertEqual(error as? OCSPRequestError, expected, message, file: file, line: line)
        XCTAssertEqual((error as? OCSPRequestError)?.responseStatus, status, message, file: file, line: line)
    }
}

final class OCSPTests: XCTestCase {
    func testParsesRequestsOpenSSLWrites() throws {
        let f = try OCSPFixture()
        let other = try OCSPFixture()  // same names, other keys
        // Serials that test the hex form: a high bit (DER 00 80 01) and a leading zero octet.
        let high = try f.leaf(cn: "high", serial: Data([0x80, 0x01]))
        let small = try f.leaf(cn: "small", serial: Data([0x00, 0x0a]))
        let random = try f.leaf(cn: "random")
        XCTAssertEqual([high.serialHex, small.serialHex], ["8001", "a"])

        let withNonce = try OCSPRequest(der: try f.request([high]))
        XCTAssertEqual(withNonce.certIDs.count, 1)
        let id = withNonce.certIDs[0]
        XCTAssertEqual(id.hashAlgorithm, .sha1)
        XCTAssertEqual(id.serialHex, "8001")
        XCTAssertEqual(id.issuerNameHash, Digest.sha1(f.ca.subject.der))
        XCTAssertEqual(id.issuerKeyHash, f.ca.publicKey.keyIdentifier, "SHA-1 key hash = RFC 5280 key identifier")
        XCTAssertTrue(id.matches(issuer: f.ca))
        XCTAssertFalse(id.matches(issuer: other.ca), "same name, another key")
        XCTAssertFalse(id.matches(issuer: f.root))
        XCTAssertTrue(id.identifies(high, issuedBy: f.ca))
        XCTAssertFalse(id.identifies(small, issuedBy: f.ca))
        XCTAssertTrue(try OCSPIssuerHash.all(of: f.ca).contains(id.issuer))
        XCTAssertFalse(try OCSPIssuerHash.all(of: other.ca).contains(id.issuer))
        XCTAssertEqual(withNonce.nonce?.count, 16, "openssl's default nonce")
        XCTAssertFalse(withNonce.isSigned)

        let noNonce = try OCSPRequest(der: try f.request([small], options: ["-no_nonce"]))
        XCTAssertNil(noNonce.nonce)
        XCTAssertEqual(noNonce.certIDs.map(\.serialHex), ["a"])

        for (option, algorithm) in [("-sha256", OCSPHashAlgorithm.sha256), ("-sha384", .sha384), ("-sha512", .sha512)] {
            let request = try OCSPRequest(der: try f.request([random, high], options: [option]))
            XCTAssertEqual(request.certIDs.map(\.hashAlgorithm), [algorithm, algorithm], option)
            XCTAssertEqual(request.certIDs.map(\.serialHex), [random.serialHex, "8001"], option)
            XCTAssertEqual(request.certIDs[0].issuerNameHash.count, algorithm.length, option)
            XCTAssertTrue(request.certIDs.allSatisfy { $0.matches(issuer: f.ca) }, option)
            XCTAssertFalse(request.certIDs.contains { $0.matches(issuer: other.ca) }, option)
            XCTAssertTrue(try OCSPIssuerHash.all(of: f.ca).contains(request.certIDs[0].issuer), option)
        }

        // Several certificates, and exactly the limit.
        let leaves = try (0..<16).map { try f.leaf(cn: "many \($0)") }
        let many = try OCSPRequest(der: try f.request(leaves))
        XCTAssertEqual(many.certIDs.map(\.serialHex), leaves.map(\.serialHex))

        // The GET form gives the same request, percent-encoded or not, padded or not, base64url or not.
        // A request whose base64 has both '+' and '/' (the nonce is random: ask again until so),
        // for the base64url spelling to differ.
        var der = try f.request([high, random])
        for _ in 0..<200 where !(der.base64EncodedString().contains("+") && der.base64EncodedString().contains("/")) {
            der = try f.request([high, random])
        }
        let post = try OCSPRequest(der: der)
        let b64 = der.base64EncodedString()
        XCTAssertTrue(b64.contains("+") && b64.contains("/"), b64)
        let unpadded = String(b64.prefix { $0 != "=" })
        let url = unpadded.replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
        for segment in [getPath(der), b64, unpadded, url] {
            let get = try OCSPRequest(base64URLPath: segment)
            XCTAssertEqual(get.certIDs, post.certIDs, segment)
            XCTAssertEqual(get.nonce, post.nonce, segment)
            XCTAssertEqual(get.der, der, segment)
        }
    }

    func testResponsesVerifyWithOpenSSL() throws {
        for type in [KeyType.ecP256, .rsa2048, .ed25519] {
            let f = try OCSPFixture(responder: type)
            let good = try f.leaf(cn: "good")
            let revoked = try f.leaf(cn: "revoked")
            let unknown = try f.leaf(cn: "unknown")
            let reqDER = try f.request([good, revoked, unknown])
            let request = try OCSPRequest(der: reqDER)
            let signer = try OCSPResponseSigner(issuer: f.ca, responder: f.responder, responderKey: f.responderKey)
            XCTAssertTrue(signer.includesResponderCertificate, "a delegated responder's certificate goes with its responses")

            let now = Date(timeIntervalSince1970: Date().timeIntervalSince1970.rounded(.down))
            let revokedAt = Date(timeIntervalSince1970: 1_780_000_000)  // 2026-05-28 20:26:40 UTC
            let statuses: [OCSPCertStatus] = [.good, .revoked(at: revokedAt, reasonCode: 1), .unknown]
            let responses = zip(request.certIDs, statuses).map {
                OCSPSingleResponse(certID: $0, status: $1, thisUpdate: now - 60, nextUpdate: now + 3600)
            }
            let der = try signer.sign(responses, nonce: request.nonce)
            let checked = try f.verify(der, reqin: "req.der")
            XCTAssertEqual(checked.status, 0, "\(type): \(checked.output)")
            XCTAssertTrue(checked.output.contains("Response verify OK"), "\(type): \(checked.output)")
            XCTAssertTrue(checked.output.contains("OCSP Response Status: successful (0x0)"), checked.output)
            // In request order, each with its serial, status, times and reason.
            let expected = [(good, "good"), (revoked, "revoked"), (unknown, "unknown")].map { leaf, status in
                #"Serial Number: \#(opensslSerial(leaf))\s*\n\s*Cert Status: \#(status)\n"#
                    + (status == "revoked" ? #"\s*Revocation Time: \#(opensslTime(revokedAt))\n\s*Revocation Reason: keyCompromise \(0x1\)\n"# : "")
                    + #"\s*This Update: \#(opensslTime(now - 60))\n\s*Next Update: \#(opensslTime(now + 3600))\n"#
            }.joined(separator: #"\s*Certificate ID:\n(\s+[A-Z][a-z]+ [A-Za-z ]+: [0-9A-Za-z]+\n){3}\s*"#)
            XCTAssertNotNil(checked.output.range(of: expected, options: .regularExpression), "\(expected)\n\(checked.output)")
            XCTAssertEqual(checked.output.components(separatedBy: "Revocation Reason").count, 2, checked.output)
            XCTAssertTrue(checked.output.contains("OCSP Nonce: \n            0410\(try XCTUnwrap(request.nonce).hexString.uppercased())\n"),
                          checked.output)
            XCTAssertFalse(checked.output.contains("WARNING"), checked.output)
            XCTAssertFalse(checked.output.contains("Nonce Verify error"), checked.output)
            // openssl's summary per certificate (a request of its own, so without a nonce).
            let summary = try f.verify(der, extra: ["-no_nonce", "-cert", "leaf0.pem", "-cert", "leaf1.pem", "-cert", "leaf2.pem"])
            XCTAssertTrue(summary.output.contains("Response verify OK"), summary.output)
            XCTAssertTrue(summary.output.contains("leaf0.pem: good"), summary.output)
            XCTAssertTrue(summary.output.contains("leaf1.pem: revoked"), summary.output)
            XCTAssertTrue(summary.output.contains("leaf2.pem: unknown"), summary.output)
            XCTAssertTrue(summary.output.contains("Reason: keyCompromise"), summary.output)
            // responderID byKey: the SHA-1 of the responder's key, which RFC 5280 method 1 also gives.
            XCTAssertTrue(checked.output.contains("Responder Id: \(f.responder.publicKey.keyIdentifier.hexString.uppercased())"),
                          checked.output)
            XCTAssertTrue(checked.output.contains("CN=OCSP Test CA OCSP Responder\n"), "the responder certificate is included: \(checked.output)")

            // The nonce is what binds the response to the request: another one is refused.
            var otherNonce = request.nonce ?? Data()
            otherNonce[otherNonce.startIndex] ^= 0xff
            let wrongNonce = try f.verify(try signer.sign(responses, nonce: otherNonce), reqin: "req.der")
            XCTAssertTrue(wrongNonce.output.contains("Nonce Verify error"), wrongNonce.output)
            let missingNonce = try f.verify(try signer.sign(responses), reqin: "req.der")
            XCTAssertTrue(missingNonce.output.contains("WARNING: no nonce in response"), missingNonce.output)

            // A signature that does not verify (over a changed nonce) is caught by the same check.
            var tampered = der
            let at = try XCTUnwrap(der.range(of: try XCTUnwrap(request.nonce))).lowerBound
            tampered[at] ^= 0x01
            let bad = try f.verify(tampered)
            XCTAssertFalse(bad.output.contains("Response verify OK"), "\(type): \(bad.output)")
        }
    }

    func testCacheableResponseWithoutNonceAndCASigningDirectly() throws {
        let f = try OCSPFixture(ca: .rsa2048)
        let leaf = try f.leaf(cn: "leaf")
        let request = try OCSPRequest(base64URLPath: getPath(try f.request([leaf], options: ["-no_nonce", "-sha256"])))
        XCTAssertNil(request.nonce)
        let now = Date()
        // RFC 5280 §5.3.1 unspecified (0): no revocationReason, as in the CRL; 10 is the highest CRLReason.
        for (reason, text) in [(nil, "Revocation Time"), (0, "Revocation Time"), (10, "Revocation Reason: (UNKNOWN) (0xa)"), (6, "Reason: certificateHold")] as [(Int?, String)] {
            let single = OCSPSingleResponse(certID: request.certIDs[0], status: .revoked(at: now - 7200, reasonCode: reason),
                                            thisUpdate: now, nextUpdate: now + 86400)
            let direct = try OCSPResponseSigner(issuer: f.ca, responder: f.ca, responderKey: f.caKey)
            XCTAssertFalse(direct.includesResponderCertificate)
            let checked = try f.verify(try direct.sign([single]), reqin: "req.der")
            let summary = try f.verify(try direct.sign([single]), extra: ["-no_nonce", "-sha256", "-cert", "leaf0.pem"])
            XCTAssertTrue(summary.output.contains("leaf0.pem: revoked"), summary.output)
            XCTAssertTrue(checked.output.contains("Response verify OK"), checked.output)
            XCTAssertTrue(checked.output.contains("Cert Status: revoked"), checked.output)
            XCTAssertTrue(checked.output.contains(text), checked.output)
            XCTAssertEqual(checked.output.contains("Reason:"), !(reason ?? 0 == 0), checked.output)
            XCTAssertEqual(summary.output.contains("Reason:"), !(reason ?? 0 == 0), summary.output)
            XCTAssertFalse(checked.output.contains("OCSP Nonce"), checked.output)
            XCTAssertFalse(checked.output.contains("WARNING"), "no nonce asked, none given: \(checked.output)")
            XCTAssertFalse(checked.output.contains("Certificate:"), "no certificate included: \(checked.output)")
        }
        // The CA in a renewed certificate (same name and key, another serial) is still the CA.
        let renewed = try CertificateSigner.sign(CertificateTemplate(
            subject: f.ca.subject, publicKey: f.ca.publicKey, serial: try CertificateTemplate.randomSerial(),
            notBefore: now - 60, notAfter: now + 86400 * 60, isCA: true, pathLength: 0, keyUsage: [.keyCertSign, .cRLSign]),
            issuer: f.root, issuerKey: f.rootKey)
        let byRenewed = try OCSPResponseSigner(issuer: f.ca, responder: renewed, responderKey: f.caKey)
        XCTAssertFalse(byRenewed.includesResponderCertificate)
        let renewedChecked = try f.verify(try byRenewed.sign([OCSPSingleResponse(certID: request.certIDs[0], status: .good,
                                                                                 thisUpdate: now, nextUpdate: now + 60)]))
        XCTAssertTrue(renewedChecked.output.contains("Response verify OK"), renewedChecked.output)

        // No nextUpdate: OpenSSL prints none.
        let open = try OCSPResponseSigner(issuer: f.ca, responder: f.responder, responderKey: f.responderKey)
            .sign([OCSPSingleResponse(certID: request.certIDs[0], status: .good, thisUpdate: now, nextUpdate: nil)])
        let checked = try f.verify(open, extra: ["-no_nonce", "-sha256", "-cert", "leaf0.pem"])
        XCTAssertTrue(checked.output.contains("Response verify OK"), checked.output)
        XCTAssertTrue(checked.output.contains("leaf0.pem: good"), checked.output)
        XCTAssertFalse(checked.output.contains("Next Update"), checked.output)
    }

    func testUnsuccessfulResponses() throws {
        let f = try OCSPFixture()
        for status in OCSPFailureStatus.allCases {
            let der = OCSPResponse.unsuccessful(status)
            XCTAssertEqual(der, Data([0x30, 0x03, 0x0a, 0x01, UInt8(status.rawValue)]))
            let text = try f.verify(der)
            // openssl reports the status and stops: there is nothing to verify.
            XCTAssertTrue(text.output.contains("Responder Error: \(status.description.lowercased()) (\(status.rawValue))"), text.output)
        }
    }

    func testMalformedRequestsAreTypedErrors() throws {
        let f = try OCSPFixture()
        let leaf = try f.leaf(cn: "leaf")
        let der = try f.request([leaf])
        assertRequestError(try OCSPRequest(der: Data()), .notDER("0 bytes that are not one OCSPRequest"))
        assertRequestError(try OCSPRequest(der: Data("garbage".utf8)), .notDER("7 bytes that are not one OCSPRequest"))
        assertRequestError(try OCSPRequest(der: der.dropLast()), .notDER("\(der.count - 1) bytes that are not one OCSPRequest"))
        assertRequestError(try OCSPRequest(der: der + Data([0])), .notDER("\(der.count + 1) bytes that are not one OCSPRequest"))
        assertRequestError(try OCSPRequest(der: leaf.der), .notDER("\(leaf.der.count) bytes that are not one OCSPRequest"))
        var flipped = der
        flipped[0] = 0x31
        XCTAssertThrowsError(try OCSPRequest(der: flipped))

        // 100 CertIDs: over the default bound, accepted under a larger one.
        let serials = (1...100).flatMap { ["-serial", "\($0)"] }
        let hundred = try f.request([], options: serials, name: "hundred.der")
        assertRequestError(try OCSPRequest(der: hundred), .tooManyCertIDs(count: 100, limit: 16))
        assertRequestError(try OCSPRequest(base64URLPath: getPath(hundred)), .tooManyCertIDs(count: 100, limit: 16))
        XCTAssertEqual(try OCSPRequest(der: hundred, maxCertIDs: 100).certIDs.map(\.serialHex), (1...100).map { String($0, radix: 16) })
        assertRequestError(try OCSPRequest(der: der, maxCertIDs: 0), .tooManyCertIDs(count: 1, limit: 0))

        // A hash algorithm outside the set: the CA cannot be told, answered unauthorized (RFC 5019 §2.2.3).
        let md5 = try f.request([leaf], options: ["-md5"], name: "md5.der")
        assertRequestError(try OCSPRequest(der: md5), .unsupportedHashAlgorithm("1.2.840.113549.2.5"), status: .unauthorized)

        // Garbage in the GET form.
        let b64 = der.base64EncodedString()
        for (segment, reason) in [
            ("", "empty"),
            ("%zz" + b64, "a '%' not followed by two hex digits at character 0"),
            (b64 + "%4", "a '%' not followed by two hex digits at character \(b64.count)"),
            ("!!!!", "byte 0x21 is not base64"),
            (b64 + "%00", "byte 0x0 is not base64"),
            ("AB CD", "byte 0x20 is not base64"),
            ("AB\nCD", "byte 0xa is not base64"),
            ("AB=CD", "'=' inside the base64"),
            ("ABCDE", "base64 of impossible length 5"),
            ("ABC==", "wrong '=' padding"),
            ("AB===", "'=' inside the base64"),
            ("é", "byte 0xc3 is not base64"),
            (String(repeating: "A", count: OCSPRequest.maxGETLength + 1), "\(OCSPRequest.maxGETLength + 1) characters (at most \(OCSPRequest.maxGETLength))"),
        ] {
            assertRequestError(try OCSPRequest(base64URLPath: segment), .badGETEncoding(reason), segment)
        }
        assertRequestError(try OCSPRequest(base64URLPath: "AAAA"), .notDER("3 bytes that are not one OCSPRequest"))
    }

    /// Requests openssl will not write, built by hand around a CertID it did write.
    func testHandBuiltRequests() throws {
        let f = try OCSPFixture()
        let certID = try OCSPRequest(der: try f.request([try f.leaf(cn: "leaf")], options: ["-no_nonce"])).certIDs[0]
        func request(version: Data? = nil, certIDs: [Data]? = nil, extensions: [Data] = [], single: [Data] = []) -> Data {
            let one = DER.sequence([certID.der] + (single.isEmpty ? [] : [DER.tlv(0xa0, DER.sequence(single))]))
            var tbs: [Data] = []
            if let version { tbs.append(DER.tlv(0xa0, version)) }
            tbs.append(DER.sequence(certIDs ?? [one]))
            if !extensions.isEmpty { tbs.append(DER.tlv(0xa2, DER.sequence(extensions))) }
            return DER.sequence([DER.sequence(tbs)])
        }
        func ext(_ oid: String, critical: Bool = false, _ value: Data) -> Data {
            DER.sequence([OID(oid)!.der] + (critical ? [Data([0x01, 0x01, 0xff])] : []) + [DER.tlv(0x04, value)])
        }
        let nonceOID = "1.3.6.1.5.5.7.48.1.2"

        // The construction is right: the plain one parses.
        XCTAssertEqual(try OCSPRequest(der: request()).certIDs, [certID])
        assertRequestError(try OCSPRequest(der: request(version: DER.integer(1))), .unsupportedVersion("0x01"))
        XCTAssertThrowsError(try OCSPRequest(der: request(version: DER.tlv(0x04, Data([0])))), "OpenSSL refuses it first")
        // v1 written out (not DER, which leaves DEFAULT values out) is still v1.
        XCTAssertEqual(try OCSPRequest(der: request(version: DER.integer(0))).certIDs, [certID])
        assertRequestError(try OCSPRequest(der: request(certIDs: [])), .noCertID)

        // RFC 9654 nonces: 1 to 128 octets echoed, an empty or longer one or a raw value refused.
        for length in [1, 16, 32, 33, 128] {
            let nonce = Data((0..<length).map { UInt8($0 + 1) })
            let parsed = try OCSPRequest(der: request(extensions: [ext(nonceOID, DER.tlv(0x04, nonce))]))
            XCTAssertEqual(parsed.nonce, nonce, "\(length)")
        }
        for length in [0, 129, 1000] {
            assertRequestError(try OCSPRequest(der: request(extensions: [ext(nonceOID, DER.tlv(0x04, Data(repeating: 7, count: length)))])),
                               .malformedNonce("\(length) octets (RFC 9654 §2.1: 1 to 128)"))
        }
        let criticalNonce = try OCSPRequest(der: request(extensions: [ext(nonceOID, critical: true, DER.tlv(0x04, Data([9, 9])))]))
        XCTAssertEqual(criticalNonce.nonce, Data([9, 9]), "the nonce is implemented, critical or not")
        assertRequestError(try OCSPRequest(der: request(extensions: [ext(nonceOID, Data(repeating: 0xab, count: 16))])),
                           .malformedNonce("the extension value is not one OCTET STRING (RFC 9654 §2.1)"))
        assertRequestError(try OCSPRequest(der: request(extensions: [ext(nonceOID, DER.tlv(0x04, Data([1])) + Data([0]))])),
                           .malformedNonce("the extension value is not one OCTET STRING (RFC 9654 §2.1)"))
        let twice = ext(nonceOID, DER.tlv(0x04, Data([1])))
        assertRequestError(try OCSPRequest(der: request(extensions: [twice, twice])),
                           .unsupportedExtension("\(nonceOID) twice in requestExtensions"))

        // RFC 6960 §4.4: unknown extensions are ignored unless critical.
        let unknownOID = "1.3.6.1.5.5.7.48.1.99"
        XCTAssertNoThrow(try OCSPRequest(der: request(extensions: [ext(unknownOID, Data([0x05, 0x00]))])))
        assertRequestError(try OCSPRequest(der: request(extensions: [ext(unknownOID, critical: true, Data([0x05, 0x00]))])),
                           .unsupportedExtension("\(unknownOID) in requestExtensions is critical and not implemented (RFC 6960 §4.4)"))
        let locator = "1.3.6.1.5.5.7.48.1.7"  // id-pkix-ocsp-service-locator
        XCTAssertNoThrow(try OCSPRequest(der: request(single: [ext(locator, Data([0x30, 0x00]))])))
        assertRequestError(try OCSPRequest(der: request(single: [ext(locator, critical: true, Data([0x30, 0x00]))])),
                           .unsupportedExtension("\(locator) in request 0 is critical and not implemented (RFC 6960 §4.4)"))

        // A CertID whose hashes do not have the algorithm's length.
        let fields = try XCTUnwrap(DER.elements(try XCTUnwrap(DER.elements(certID.der)?.first).content))
        let short = DER.sequence([fields[0].encoded, DER.tlv(0x04, Data(repeating: 1, count: 19)), fields[2].encoded, fields[3].encoded])
        assertRequestError(try OCSPRequest(der: request(certIDs: [DER.sequence([short])])),
                           .notDER("a sha1 CertID with hashes of 19 and 20 octets (20 expected)"))
    }

    /// Every refusal path frees what OpenSSL parsed: a client may send any of these at will.
    func testRefusedRequestsAndSignedResponsesLeakNothing() throws {
        // As DecodeLeakTests: under ASan resident size says nothing; LeakSanitizer checks there.
        try XCTSkipIf(ProcessInfo.processInfo.environment["ASAN_OPTIONS"] != nil, "resident size is meaningless under ASan")
        let f = try OCSPFixture()
        let leaf = try f.leaf(cn: "leaf")
        let good = try f.request([leaf])
        let seventeen = try f.request([], options: (1...17).flatMap { ["-serial", "\($0)"] }, name: "17.der")
        let md5 = try f.request([leaf], options: ["-md5"], name: "md5.der")
        // The nonce extension's value as raw octets, not an OCTET STRING: refused after the CertIDs were read.
        let rawNonce = try XCTUnwrap(good.range(of: Data([0x04, 0x12, 0x04, 0x10])))
        var badNonce = good
        badNonce[rawNonce.lowerBound + 2] = 0x05
        let refused = [good + Data([0]), seventeen, md5, badNonce]
        for body in refused { XCTAssertThrowsError(try OCSPRequest(der: body)) }
        let request = try OCSPRequest(der: good)
        let signer = try OCSPResponseSigner(issuer: f.ca, responder: f.responder, responderKey: f.responderKey)
        let single = OCSPSingleResponse(certID: request.certIDs[0], status: .revoked(at: Date(), reasonCode: 1),
                                        thisUpdate: Date(), nextUpdate: Date() + 60)
        func round() {
            for body in refused { _ = try? OCSPRequest(der: body) }
            _ = try? OCSPRequest(base64URLPath: getPath(good))
            _ = try? signer.sign([single], nonce: request.nonce)
        }
        for _ in 0..<500 { round() }  // warm up
        let before = residentBytes()
        for _ in 0..<10_000 { round() }
        let grown = residentBytes() - before
        XCTAssertLessThan(grown, 4 << 20, "grew \(grown >> 10) KiB over 10,000 rounds (a leaked response is ~1.3 KiB)")
    }

    func testSignerRefusesWhatNoClientWouldAccept() throws {
        let f = try OCSPFixture()
        let other = try OCSPFixture()
        let leaf = try f.leaf(cn: "leaf")
        let certID = try OCSPRequest(der: try f.request([leaf])).certIDs[0]
        let foreignID = try OCSPRequest(der: try other.request([try other.leaf(cn: "leaf")])).certIDs[0]
        let now = Date()
        func single(_ id: OCSPCertID? = nil, _ status: OCSPCertStatus = .good, next: Date? = nil) -> OCSPSingleResponse {
            OCSPSingleResponse(certID: id ?? certID, status: status, thisUpdate: now, nextUpdate: next ?? now + 3600)
        }
        func refused(_ body: () throws -> Any, _ fragment: String, line: UInt = #line) {
            XCTAssertThrowsError(try body(), line: line) { error in
                XCTAssertTrue(error is OCSPResponseError, "\(error)", line: line)
                XCTAssertTrue("\(error)".contains(fragment), "\(error)", line: line)
            }
        }
        // Responder certificates a client would reject.
        refused({ try OCSPResponseSigner(issuer: f.ca, responder: f.responder, responderKey: f.caKey) }, "signing key")
        refused({ try OCSPResponseSigner(issuer: other.ca, responder: f.responder, responderKey: f.responderKey) }, "not issued by")
        let noEKU = try CertificateSigner.sign(CertificateTemplate(
            subject: try DistinguishedName(parsing: "CN=no EKU"), publicKey: try f.responderKey.publicKey,
            serial: try CertificateTemplate.randomSerial(), notBefore: now - 60, notAfter: now + 3600,
            isCA: false, keyUsage: [.digitalSignature], extendedKeyUsage: [.clientAuth]), issuer: f.ca, issuerKey: f.caKey)
        refused({ try OCSPResponseSigner(issuer: f.ca, responder: noEKU, responderKey: f.responderKey) }, "id-kp-OCSPSigning")
        var badUsage = CertificateTemplate.ocspResponder(subject: try DistinguishedName(parsing: "CN=no digitalSignature"),
                                                         publicKey: try f.responderKey.publicKey,
                                                         serial: try CertificateTemplate.randomSerial(), notBefore: now - 60, notAfter: now + 3600)
        badUsage.keyUsage = [.keyEncipherment]
        let noSignature = try CertificateSigner.sign(badUsage, issuer: f.ca, issuerKey: f.caKey)
        refused({ try OCSPResponseSigner(issuer: f.ca, responder: noSignature, responderKey: f.responderKey) }, "digitalSignature")
        let expired = try CertificateSigner.sign(CertificateTemplate.ocspResponder(
            subject: try DistinguishedName(parsing: "CN=expired"), publicKey: try f.responderKey.publicKey,
            serial: try CertificateTemplate.randomSerial(), notBefore: now - 7200, notAfter: now - 3600), issuer: f.ca, issuerKey: f.caKey)
        let expiredSigner = try OCSPResponseSigner(issuer: f.ca, responder: expired, responderKey: f.responderKey)
        refused({ try expiredSigner.sign([single()]) }, "not valid now")

        // Contents a client would reject, or that are not OCSP.
        let signer = try OCSPResponseSigner(issuer: f.ca, responder: f.responder, responderKey: f.responderKey)
        XCTAssertNoThrow(try signer.sign([single()]))
        refused({ try signer.sign([]) }, "no SingleResponse")
        refused({ try signer.sign([single(), single(foreignID)]) }, "names another CA")
        refused({ try signer.sign([single(next: now)]) }, "is not after thisUpdate")
        refused({ try signer.sign([single(next: now - 1)]) }, "is not after thisUpdate")
        for reason in [7, 8, 11, -1] {
            refused({ try signer.sign([single(nil, .revoked(at: now, reasonCode: reason))]) }, "reasonCode \(reason)")
        }
        refused({ try signer.sign([single()], nonce: Data()) }, "a nonce of 0 octets")
        refused({ try signer.sign([single()], nonce: Data(count: 129)) }, "a nonce of 129 octets")
        XCTAssertNoThrow(try signer.sign([single()], nonce: Data(count: 128)))
    }

    func testResponderAndOCSPURLExtensions() throws {
        let f = try OCSPFixture()
        let text = try openssl(["x509", "-in", "responder.pem", "-noout", "-text"], in: f.dir)
        XCTAssertEqual(text.status, 0, text.output)
        XCTAssertTrue(text.output.contains("OCSP No Check"), text.output)
        XCTAssertTrue(text.output.contains("OCSP Signing"), text.output)
        XCTAssertTrue(text.output.contains("CA:FALSE"), text.output)
        XCTAssertNotNil(text.output.range(of: #"X509v3 Key Usage: critical\s*\n\s*Digital Signature\n"#, options: .regularExpression), text.output)
        XCTAssertNil(text.output.range(of: "Authority Information Access"), "none unless asked for")
        // The nocheck extension is a NULL, and not critical.
        XCTAssertNotNil(f.responder.der.range(of: Data([0x06, 0x09, 0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x30, 0x01, 0x05, 0x04, 0x02, 0x05, 0x00])))
        let leafWithout = try openssl(["x509", "-in", "ca.pem", "-noout", "-text"], in: f.dir)
        XCTAssertFalse(leafWithout.output.contains("OCSP No Check"), leafWithout.output)

        var template = CertificateTemplate(
            subject: try DistinguishedName(parsing: "CN=with AIA"), publicKey: try PrivateKey.generate(.ecP256).publicKey,
            serial: try CertificateTemplate.randomSerial(), notBefore: Date() - 60, notAfter: Date() + 3600,
            isCA: false, keyUsage: [.digitalSignature])
        template.ocspURLs = ["http://ocsp.example.com/.well-known/est/ocsp", "https://b.example/ocsp,x"]
        let leaf = try CertificateSigner.sign(template, issuer: f.ca, issuerKey: f.caKey)
        try f.write(leaf.pem, "aia.pem")
        let uri = try openssl(["x509", "-in", "aia.pem", "-noout", "-ocsp_uri"], in: f.dir)
        XCTAssertEqual(uri.output, "http://ocsp.example.com/.well-known/est/ocsp\nhttps://b.example/ocsp,x\n")
        let aia = try openssl(["x509", "-in", "aia.pem", "-noout", "-text"], in: f.dir)
        XCTAssertTrue(aia.output.contains("Authority Information Access: \n"), "not critical: \(aia.output)")
        XCTAssertTrue(aia.output.contains("OCSP - URI:http://ocsp.example.com/.well-known/est/ocsp"), aia.output)
        let verified = try openssl(["verify", "-CAfile", "root.pem", "-untrusted", "ca.pem", "aia.pem"], in: f.dir)
        XCTAssertEqual(verified.status, 0, verified.output)

        for (url, reason) in [
            ("", "OCSP URL: empty URI"),
            ("ldap://ldap.example.com/cn=ocsp", "OCSP URL: 'ldap://ldap.example.com/cn=ocsp' is not an http:// or https:// URI"),
            ("ftp://x", "OCSP URL: 'ftp://x' is not an http://, https:// or ldap:// URI"),
            ("http://", "OCSP URL: nothing after http://"),
            ("http:///path", "OCSP URL: no host after http://"),
            ("http://a b", "OCSP URL: a space, control or non-ASCII character at byte 8"),
            ("http://a\0b", "OCSP URL: a space, control or non-ASCII character at byte 8"),
            ("http://" + String(repeating: "a", count: 2042), "OCSP URL: URI of 2049 bytes (at most 2048)"),
        ] {
            XCTAssertThrowsError(try OCSPURL.validate(url), url) { XCTAssertEqual(($0 as? CRLError)?.description, reason) }
            template.ocspURLs = [url]
            XCTAssertThrowsError(try CertificateSigner.sign(template, issuer: f.ca, issuerKey: f.caKey), url)
        }
        XCTAssertNoThrow(try OCSPURL.validate("http://" + String(repeating: "a", count: 2041)))
    }
}
