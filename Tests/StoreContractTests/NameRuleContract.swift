import ESTCA
import ESTCore
import ESTOpenSSL
import Foundation
import XCTest

/// One rule for names (see ByteName): every entrance refuses a name not in NFC, and every
/// comparison is of bytes, as the stores, htpasswd and relying parties compare them. Each
/// case below passed before the rule, because Swift's `String ==` holds "café" in NFC and
/// in NFD equal.
extension OperatorPolicyContract {
    static let nfc = "caf\u{E9}-03"
    static let nfd = "cafe\u{301}-03"

    static func namesHaveOneSpelling(_ factory: StoreFactory) throws {
        XCTAssertEqual(nfc, nfd, "the trap: canonical equivalence")
        XCTAssertNotEqual(Array(nfc.utf8), Array(nfd.utf8))
        let f = try PolicyFixture(factory)
        let event = AuditEvent.admin("device-add")
        func issued() throws -> Int { try f.issuedCount(CertificateFilter()) }

        // Device registry: an operator cannot register the NFD spelling.
        try profile(f, "pre") { $0.registration = .preregistered }
        XCTAssertEqual(status { try f.admin.addDevices([nfd], profile: "pre") }, 400)
        XCTAssertNil(try f.store.device(DeviceKey(.cn, nfd)))
        XCTAssertEqual(try f.admin.addDevices([nfc], profile: "pre").added, [nfc])

        // HTTP user vs device: the per-device password is for the exact bytes it names.
        try profile(f, "pw") { $0.auth = .http; $0.trust = []; $0.registration = .preregistered }
        // A registration stored before the rule (NFD), the password file's user in NFC.
        _ = try f.store.addDevices([nfd], kind: .cn, profile: "pw", audit: event, now: f.clock)
        let before = try issued()
        func enroll(_ cn: String, _ label: String, _ credentials: ClientCredentials) -> Int? {
            status {
                let csr = try f.csr(cn).0
                return try f.ca.enroll(csr: csr, profile: label, credentials: credentials,
                                       audit: CertificateAuthority.event("simpleenroll", label, csr.subject))
            }
        }
        XCTAssertEqual(enroll(nfd, "pw", ClientCredentials(certificate: nil, httpUser: nfc)), 403,
                       "HTTP user (NFC) enrolling the preregistered device (NFD)")
        let (csr, _) = try f.csr(nfd)
        XCTAssertEqual(reason { try f.ca.enroll(csr: csr, profile: "pw", credentials: ClientCredentials(certificate: nil, httpUser: nfc),
                                                audit: CertificateAuthority.event("simpleenroll", "pw", csr.subject)) },
                       "HTTP user \(nfc) may not enroll device \(nfd)")
        XCTAssertEqual(enroll(nfd, "pw", ClientCredentials(certificate: nil, httpUser: nfd)), 400,
                       "the NFD name itself is refused, even by its own user")
        try profile(f, "pw-open") { $0.auth = .http; $0.trust = [] }
        XCTAssertEqual(enroll(nfc, "pw-open", ClientCredentials(certificate: nil, httpUser: nfd)), 403,
                       "HTTP user (NFD) enrolling device (NFC)")
        XCTAssertEqual(try issued(), before, "nothing issued")
        XCTAssertEqual(enroll(nfc, "pw-open", ClientCredentials(certificate: nil, httpUser: nfc)), 200, "the same bytes enroll")

        // --bind-identity cn: the CSR's name is the bootstrap certificate's bytes.
        try profile(f, "bind") { $0.identity.binding = .cn }
        let bootNFC = try f.bootstrap(nfc), bootNFD = try f.bootstrap(nfd)
        XCTAssertEqual(enroll(nfd, "bind", ClientCredentials(certificate: bootNFC)), 400, "CSR CN in NFD")
        XCTAssertEqual(enroll(nfc, "bind", ClientCredentials(certificate: bootNFD)), 403, "bootstrap CN in NFD, CSR CN in NFC")
        XCTAssertEqual(enroll(nfc, "bind", ClientCredentials(certificate: bootNFC)), 200)
        // A CSR naming one device twice, in two spellings, names two devices.
        let twice = try CSRBuilder.make(subject: try DistinguishedName(parsing: "CN=\(nfd),CN=\(nfc)"), key: try PrivateKey.generate(.ecP256))
        XCTAssertEqual(reason { try f.ca.enroll(csr: twice, profile: nil, client: bootNFC) },
                       "CSR names 2 different devices (cn); it must name one")
        XCTAssertEqual(status { try f.ca.enroll(csr: try f.csr(nfd).0, profile: nil, client: bootNFC) }, 400,
                       "a CSR device name in NFD")

        // Patterns and CA names are names too.
        XCTAssertEqual(status { try profile(f, "pat") { $0.identity.cnPattern = "cafe\u{301}-[0-9]+" } }, 400)
        XCTAssertEqual(status { try profile(f, "pat") { $0.identity.cnPattern = "caf\u{E9}-[0-9]+" } }, 200)
        XCTAssertEqual(status {
            try f.admin.createCA(name: "ca-\(nfd)", subject: "CN=X", keyType: .ecP256, days: 10, issuer: nil, pathLength: nil)
        }, 400)
    }
}
