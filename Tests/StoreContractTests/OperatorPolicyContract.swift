import ESTCA
import ESTCore
import ESTOpenSSL
import Foundation
import XCTest

/// A CA on one backend's store, as the policy tests use it: root -> issuing, factory;
/// profiles factory and default (trusting factory); a clock the test moves.
final class PolicyFixture {
    let store: any CAStore
    let keyring = CAKeyring(passphrase: StoreContract.passphrase)
    var clock = Date()
    lazy var ca = CertificateAuthority(store: store, keyring: keyring, now: { [unowned self] in self.clock })
    lazy var admin = CAAdministration(ca)

    init(_ f: StoreFactory) throws {
        store = try f.makeStore(create: true)
        try admin.createCA(name: "root", subject: "CN=Root", keyType: .ecP256, days: 100, issuer: nil, pathLength: nil)
        try admin.createCA(name: "issuing", subject: "CN=Issuing", keyType: .ecP256, days: 50, issuer: "root", pathLength: 0)
        try admin.createCA(name: "factory", subject: "CN=Factory", keyType: .ecP256, days: 100, issuer: nil, pathLength: nil)
        try admin.saveProfile(Profile(label: "factory", issuer: "factory"), replace: false)
        var def = Profile(label: nil, issuer: "issuing")
        def.trust = ["factory"]
        try admin.saveProfile(def, replace: false)
    }

    func issuedCount(_ filter: CertificateFilter) throws -> Int { try store.issuedCertificates(matching: filter, now: clock).count }

    func csr(_ cn: String, key: KeyType = .ecP256) throws -> (CertificateSigningRequest, PrivateKey) {
        let k = try PrivateKey.generate(key)
        return (try CSRBuilder.make(subject: try DistinguishedName(parsing: "CN=\(cn)"), key: k), k)
    }

    /// A bootstrap certificate from the factory CA.
    func bootstrap(_ cn: String = "boot") throws -> Certificate {
        try ca.issue(csr: try csr(cn).0, profile: try ca.requireProfile("factory"), requester: "test", audit: nil).0
    }
}

/// The EST operations as the core calls them, with the audit event it would pass.
extension CertificateAuthority {
    static func event(_ operation: String, _ profile: String?, _ subject: DistinguishedName) -> AuditEvent {
        AuditEvent(operation: operation, profile: profile, client: "test", status: 200, outcome: .ok, reason: "issued \(subject)")
    }

    func enroll(csr: CertificateSigningRequest, profile: String?, client: Certificate) throws -> Certificate {
        try enroll(csr: csr, profile: profile, credentials: ClientCredentials(certificate: client),
                   audit: Self.event("simpleenroll", profile, csr.subject))
    }

    func reenroll(_ request: ReenrollmentRequest, profile: String?) throws -> Certificate {
        try reenroll(request, profile: profile, audit: Self.event("simplereenroll", profile, request.csr.subject))
    }
}

/// The operator's controls (device registry, manual approval, HTTP authentication as a
/// factor, CRLs) through the CA, on each backend: their rules live partly in the store's
/// recording transaction.
enum OperatorPolicyContract {
    static func profile(_ f: PolicyFixture, _ label: String, _ edit: (inout Profile) -> Void) throws {
        var p = Profile(label: label, issuer: "issuing")
        p.trust = ["factory"]
        edit(&p)
        try f.admin.saveProfile(p, replace: false)
    }

    static func status(_ body: () throws -> Any) -> Int? {
        do { _ = try body(); return 200 } catch { return (error as? ESTStatusError)?.httpStatus }
    }

    static func reason(_ body: () throws -> Any) -> String? {
        do { _ = try body(); return nil } catch { return (error as? ESTStatusError)?.reason }
    }

    static func registryModes(_ factory: StoreFactory) throws {
        let f = try PolicyFixture(factory)
        try profile(f, "pre") { $0.registration = .preregistered }
        try profile(f, "jit") { $0.registration = .jit }
        let boot = try f.bootstrap()
        let (csr, _) = try f.csr("dev-1")
        XCTAssertEqual(reason { try f.ca.enroll(csr: csr, profile: "pre", client: boot) }, "device not registered")
        let added = try f.admin.addDevices(["dev-1", "dev-2"], profile: "pre")
        XCTAssertEqual(added.added, ["dev-1", "dev-2"])
        let again = try f.admin.addDevices(["dev-1"], profile: "jit")
        XCTAssertEqual(again.conflicting.map(\.name), ["dev-1"], "one profile per device")
        let cert = try f.ca.enroll(csr: csr, profile: "pre", client: boot)
        XCTAssertEqual(reason { try f.ca.enroll(csr: try f.csr("dev-1").0, profile: "pre", client: boot) },
                       "device already enrolled, use simplereenroll")
        XCTAssertEqual(status { try f.ca.reenroll(ReenrollmentRequest(csr: try f.csr("dev-1").0, current: cert), profile: "pre") }, 200)
        XCTAssertEqual(reason { try f.ca.enroll(csr: try f.csr("dev-2").0, profile: "jit", client: boot) },
                       "device dev-2 is registered under profile pre")
        // A profile without a registry is not bound by registrations made under others.
        XCTAssertEqual(status { try f.ca.enroll(csr: try f.csr("dev-2").0, profile: nil, client: boot) }, 200)
        XCTAssertEqual(try f.store.issuedCertificates(matching: CertificateFilter(device: DeviceKey(.cn, "dev-2")), now: f.clock).count, 0,
                       "and does not link its certificate to the other profile's device")
        try f.admin.removeDevice(named: "dev-2")
        XCTAssertNil(try f.store.device(DeviceKey(.cn, "dev-2")))
        XCTAssertEqual(status { try f.ca.enroll(csr: try f.csr("dev-2").0, profile: "jit", client: boot) }, 200, "removed: free again")
        XCTAssertNil(try f.store.device(DeviceKey(.cn, "dev-3")))
        XCTAssertEqual(status { try f.ca.enroll(csr: try f.csr("dev-3").0, profile: "jit", client: boot) }, 200)
        XCTAssertEqual(try f.store.device(DeviceKey(.cn, "dev-3"))?.source, .jit)
        XCTAssertEqual(try f.store.issuedCertificates(matching: CertificateFilter(device: DeviceKey(.cn, "dev-3")), now: f.clock).count, 1)
        // A CSR naming no device cannot enroll under a registry.
        let anonymous = try CSRBuilder.make(subject: try DistinguishedName(parsing: "O=No CN"), key: try PrivateKey.generate(.ecP256),
                                            extensions: [("subjectAltName", "DNS:x.example")])
        XCTAssertEqual(status { try f.ca.enroll(csr: anonymous, profile: "jit", client: boot) }, 400)
    }

    static func replaceableEnrollmentSupersedesAndDisableRefusesEverywhere(_ factory: StoreFactory) throws {
        let f = try PolicyFixture(factory)
        try profile(f, "r") { $0.registration = .jit; $0.replaceableEnrollment = true }
        let boot = try f.bootstrap()
        let first = try f.ca.enroll(csr: try f.csr("dev-r").0, profile: "r", client: boot)
        let second = try f.ca.enroll(csr: try f.csr("dev-r").0, profile: "r", client: boot)
        let old = try XCTUnwrap(f.store.issuedCertificate(fingerprint: first.fingerprint.hexString))
        XCTAssertEqual(old.status, .revoked)
        XCTAssertEqual(old.revocationReason, .superseded)
        XCTAssertEqual(try f.store.issuedCertificate(fingerprint: second.fingerprint.hexString)?.status, .valid)
        // Another bootstrap certificate may not replace them; a renewal keeps the right to.
        let stranger = try f.bootstrap("boot-stranger")
        XCTAssertEqual(reason { try f.ca.enroll(csr: try f.csr("dev-r").0, profile: "r", client: stranger) },
                       "device already enrolled with another bootstrap certificate, use simplereenroll")
        let renewed = try f.ca.reenroll(ReenrollmentRequest(csr: try f.csr("dev-r").0, current: second), profile: "r")
        XCTAssertEqual(reason { try f.ca.enroll(csr: try f.csr("dev-r").0, profile: "r", client: stranger) },
                       "device already enrolled with another bootstrap certificate, use simplereenroll")
        let third = try f.ca.enroll(csr: try f.csr("dev-r").0, profile: "r", client: boot)
        XCTAssertEqual(try f.store.issuedCertificate(fingerprint: renewed.fingerprint.hexString)?.status, .revoked)

        try f.admin.setStatus(.disabled, ofDevice: "dev-r", reason: "lost")
        XCTAssertEqual(reason { try f.ca.reenroll(ReenrollmentRequest(csr: try f.csr("dev-r").0, current: third), profile: "r") },
                       "device dev-r is disabled")
        XCTAssertEqual(status { try f.ca.enroll(csr: try f.csr("dev-r").0, profile: "r", client: boot) }, 403)
        // Under a profile without a registry, a disabled device is still refused.
        XCTAssertEqual(reason { try f.ca.enroll(csr: try f.csr("dev-r").0, profile: nil, client: boot) }, "device dev-r is disabled")
        XCTAssertThrowsError(try f.admin.setStatus(.disabled, ofDevice: "dev-r", reason: ""), "already disabled")
        try f.admin.setStatus(.active, ofDevice: "dev-r", reason: "")
        XCTAssertEqual(status { try f.ca.reenroll(ReenrollmentRequest(csr: try f.csr("dev-r").0, current: third), profile: "r") }, 200)
    }

    /// A device is its kind and its name (issue 20 item 6): the SAN URI `dev-k` registered or
    /// disabled under a `--device-id san-uri` profile is not the CN `dev-k`.
    static func deviceKindsAreSeparate(_ factory: StoreFactory) throws {
        let f = try PolicyFixture(factory)
        try profile(f, "uri") { $0.registration = .jit; $0.deviceID = .sanURI }
        try profile(f, "cn") { $0.registration = .jit }
        let boot = try f.bootstrap(), other = try f.bootstrap("boot-2")
        let key = try PrivateKey.generate(.ecP256)
        let uriCSR = try CSRBuilder.make(subject: try DistinguishedName(parsing: "CN=sensor"), key: key,
                                         extensions: [("subjectAltName", "URI:dev-k")])
        XCTAssertEqual(status { try f.ca.enroll(csr: uriCSR, profile: "uri", client: boot) }, 200)
        XCTAssertEqual(try f.store.device(DeviceKey(.sanURI, "dev-k"))?.profile, "uri")
        // Another bootstrap holder's CN=dev-k under a CN-keyed profile is another device.
        XCTAssertEqual(reason { try f.ca.enroll(csr: try f.csr("dev-k").0, profile: "cn", client: other) }, nil)
        XCTAssertEqual(try f.store.device(DeviceKey(.cn, "dev-k"))?.profile, "cn")
        XCTAssertEqual(try f.store.devices(named: "dev-k").map(\.kind), [.cn, .sanURI])
        // An operator naming the text alone must say which.
        XCTAssertEqual(reason { try f.admin.setStatus(.disabled, ofDevice: "dev-k", reason: "") },
                       "device dev-k is registered as cn and san-uri: give --kind")
        try f.admin.setStatus(.disabled, ofDevice: "dev-k", kind: .sanURI, reason: "lost")
        XCTAssertEqual(reason { try f.ca.enroll(csr: try f.csr("dev-k").0, profile: nil, client: other) }, nil,
                       "disabling the URI leaves the CN alone")
        XCTAssertEqual(reason { try f.ca.enroll(csr: uriCSR, profile: "uri", client: boot) }, "device dev-k is disabled")
        // device add registers the profile's kind.
        let added = try f.admin.addDevices(["dev-k"], profile: "uri")
        XCTAssertEqual(added.present, ["dev-k"])
        try f.admin.removeDevice(named: "dev-k", kind: .cn)
        XCTAssertNil(try f.store.device(DeviceKey(.cn, "dev-k")))
        XCTAssertNotNil(try f.store.device(DeviceKey(.sanURI, "dev-k")))
    }

    static func manualApproval(_ factory: StoreFactory) throws {
        let f = try PolicyFixture(factory)
        try profile(f, "m") { $0.approval = .manual; $0.approvalRetryAfter = 30 }
        let boot = try f.bootstrap(), other = try f.bootstrap("boot-2")
        let (csr, _) = try f.csr("dev-m", key: .ecP384)
        var pending: CAError?
        XCTAssertThrowsError(try f.ca.enroll(csr: csr, profile: "m", client: boot)) { pending = $0 as? CAError }
        XCTAssertEqual(pending?.httpStatus, 202)
        XCTAssertEqual(pending?.responseHeaders.first?.0, "Retry-After")
        XCTAssertEqual(pending?.responseHeaders.first?.1, "30")
        let listed = try f.store.enrollmentRequests(status: .pending)
        XCTAssertEqual(listed.map(\.keyType), ["ec-p384"])
        XCTAssertEqual(listed.first?.device, "dev-m")
        XCTAssertEqual(status { try f.ca.enroll(csr: csr, profile: "m", client: boot) }, 202, "repeated: still pending")
        XCTAssertEqual(try f.store.enrollmentRequests(status: nil).count, 1, "the same request, not a second")
        XCTAssertEqual(try f.issuedCount(CertificateFilter(profile: .label("m"))), 0)

        let id = try XCTUnwrap(listed.first?.id)
        try f.admin.decide(request: id, approve: true, reason: "")
        // The same CSR from other credentials is a request of its own, still pending.
        XCTAssertEqual(status { try f.ca.enroll(csr: csr, profile: "m", client: other) }, 202)
        XCTAssertEqual(try f.store.enrollmentRequests(status: .pending).filter { $0.device == "dev-m" }.count, 1)
        let cert = try f.ca.enroll(csr: csr, profile: "m", client: boot)
        XCTAssertEqual(try f.store.enrollmentRequest(id: id)?.status, .issued)
        XCTAssertEqual(try f.store.enrollmentRequest(id: id)?.serial, cert.serialHex)
        XCTAssertEqual(status { try f.ca.enroll(csr: csr, profile: "m", client: boot) }, 202, "the approval is spent")
        XCTAssertThrowsError(try f.admin.decide(request: id, approve: false, reason: "late"), "issued is not pending")

        let (csr2, _) = try f.csr("dev-n")
        _ = status { try f.ca.enroll(csr: csr2, profile: "m", client: boot) }
        let id2 = try XCTUnwrap(f.store.enrollmentRequests(status: .pending).first { $0.device == "dev-n" }?.id)
        try f.admin.decide(request: id2, approve: false, reason: "unknown device")
        XCTAssertEqual(reason { try f.ca.enroll(csr: csr2, profile: "m", client: boot) }, "request \(id2) was rejected: unknown device")

        // One set of credentials cannot flood the operator's list.
        let flooder = try f.bootstrap("boot-3")
        var statuses: [Int?] = []
        for i in 0..<17 { statuses.append(status { try f.ca.enroll(csr: try f.csr("dev-f\(i)").0, profile: "m", client: flooder) }) }
        XCTAssertEqual(statuses, Array(repeating: 202, count: 16) + [429])
        XCTAssertEqual(status { try f.ca.enroll(csr: try f.csr("dev-o").0, profile: "m", client: other) }, 202, "others still can")
    }

    static func httpAuthenticationIsAFactorBoundToTheDevice(_ factory: StoreFactory) throws {
        let f = try PolicyFixture(factory)
        try profile(f, "pw") { $0.auth = .http; $0.trust = [] }
        try profile(f, "both") { $0.auth = .certificateAndHTTP }
        let boot = try f.bootstrap()
        let (csr, _) = try f.csr("dev-h")
        let event = CertificateAuthority.event("simpleenroll", "pw", csr.subject)
        func enroll(_ label: String, _ credentials: ClientCredentials) throws -> Certificate {
            try f.ca.enroll(csr: csr, profile: label, credentials: credentials, audit: event)
        }
        XCTAssertEqual(f.ca.clientAuthentication(profile: "pw"), .http)
        XCTAssertEqual(f.ca.clientAuthentication(profile: "nosuch"), .certificate, "an unknown profile reveals nothing")
        // The last-known answer needs no store read: it trails a change until the next read.
        XCTAssertEqual(f.ca.lastKnownClientAuthentication(profile: "pw"), .http)
        XCTAssertNil(f.ca.lastKnownClientAuthentication(profile: "nosuch"))
        try profile(f, "flip") { $0.auth = .http }
        XCTAssertEqual(f.ca.clientAuthentication(profile: "flip"), .http)
        var flipped = Profile(label: "flip", issuer: "issuing")
        flipped.trust = ["factory"]
        try f.admin.saveProfile(flipped, replace: true)
        XCTAssertEqual(f.ca.lastKnownClientAuthentication(profile: "flip"), .http, "not read since the change")
        XCTAssertEqual(f.ca.clientAuthentication(profile: "flip"), .certificate)
        XCTAssertEqual(f.ca.lastKnownClientAuthentication(profile: "flip"), .certificate)
        XCTAssertEqual(status { try enroll("pw", ClientCredentials(certificate: boot)) }, 401)
        XCTAssertEqual(reason { try enroll("pw", ClientCredentials(certificate: nil, httpUser: "dev-other")) },
                       "HTTP user dev-other may not enroll device dev-h")
        let cert = try enroll("pw", ClientCredentials(certificate: nil, httpUser: "dev-h"))
        XCTAssertEqual(try f.store.issuedCertificate(fingerprint: cert.fingerprint.hexString)?.requester, "http user dev-h")
        XCTAssertEqual(status { try enroll("both", ClientCredentials(certificate: nil, httpUser: "dev-h")) }, 401)
        XCTAssertEqual(status { try enroll("both", ClientCredentials(certificate: boot)) }, 401)
        XCTAssertEqual(status { try enroll("both", ClientCredentials(certificate: boot, httpUser: "dev-h")) }, 200)
        // Renewal under cert+http needs the password too; under http the certificate alone.
        let renew = try f.csr("dev-h").0
        XCTAssertEqual(status { try f.ca.reenroll(ReenrollmentRequest(csr: renew, current: cert), profile: "pw") }, 200)
    }

    static func crlNumbersAndEntries(_ factory: StoreFactory) throws {
        let f = try PolicyFixture(factory)
        let boot = try f.bootstrap()
        let a = try f.ca.enroll(csr: try f.csr("dev-a").0, profile: nil, client: boot)
        let b = try f.ca.enroll(csr: try f.csr("dev-b").0, profile: nil, client: boot)
        let (first, _) = try f.admin.publishCRL(ca: "issuing", nextUpdateHours: 24)
        XCTAssertEqual(first.number, 1)
        XCTAssertEqual(first.entries, 0)
        try f.admin.revoke(serial: a.serialHex, reason: .keyCompromise)
        try f.admin.revoke(serial: b.serialHex, reason: .unspecified)
        let (second, crl) = try f.admin.publishCRL(ca: "issuing", nextUpdateHours: 2)
        XCTAssertEqual(second.number, 2)
        XCTAssertEqual(crl.number, 2)
        func serial(_ e: RevokedEntry) -> String? { Serial.normalize(e.serial.hexString) }
        XCTAssertEqual(Set(crl.entries.compactMap(serial)), Set([a.serialHex, b.serialHex].compactMap(Serial.normalize)))
        XCTAssertEqual(crl.entries.first { serial($0) == Serial.normalize(a.serialHex) }?.reasonCode, 1)
        XCTAssertEqual(crl.entries.count, 2)
        XCTAssertNil(crl.entries.first { serial($0) == Serial.normalize(b.serialHex) }?.reasonCode, "unspecified is left out")
        let issuing = try XCTUnwrap(f.store.ca(named: "issuing")).certificate
        XCTAssertTrue(crl.isSigned(by: issuing))
        XCTAssertEqual(try f.ca.crl(profile: nil), crl.der, "the responder serves the latest")
        XCTAssertThrowsError(try f.store.recordCRL(second, audit: .admin("crl"), now: f.clock)) { XCTAssertTrue($0 is CRLNumberTaken) }
        for _ in 0..<12 { _ = try f.admin.publishCRL(ca: "issuing", nextUpdateHours: 1) }
        XCTAssertEqual(try f.store.latestCRL(issuer: "issuing")?.number, 14, "numbers keep rising as old CRLs are pruned")
        XCTAssertThrowsError(try f.admin.publishCRL(ca: "issuing", nextUpdateHours: 0))
    }
}
