import ESTCA
import ESTCore
import ESTOpenSSL
import Foundation
import XCTest

/// The CAStore contract, one body per behaviour, run against every backend by the test
/// classes below (SQLite always; PostgreSQL when ESTFCGI_TEST_PG is set).
/// Results written by threads, each at its own index.
final class Results<T>: @unchecked Sendable {
    var values: [T?]
    init(_ n: Int) { values = Array(repeating: nil, count: n) }
}

enum StoreContract {
    static let passphrase = "contract test passphrase"

    /// root -> issuing, factory; profiles factory, default (trusting factory), iot
    /// (revoke on re-enrollment), keep; a bootstrap certificate. Returns its PEM.
    static func setUp(_ f: StoreFactory, configure: (inout Profile) -> Void = { _ in }) throws -> String {
        let store = try f.makeStore(create: true)
        let ca = CertificateAuthority(store: store, keyring: CAKeyring(passphrase: passphrase))
        let admin = CAAdministration(ca)
        try admin.createCA(name: "root", subject: "CN=Root", keyType: .ecP256, days: 100, issuer: nil, pathLength: nil)
        try admin.createCA(name: "issuing", subject: "CN=Issuing", keyType: .ecP256, days: 50, issuer: "root", pathLength: 0)
        try admin.createCA(name: "factory", subject: "CN=Factory", keyType: .ecP256, days: 100, issuer: nil, pathLength: nil)
        try admin.saveProfile(Profile(label: "factory", issuer: "factory"), replace: false)
        for (label, revoke) in [(nil, false), ("iot", true), ("keep", false)] as [(String?, Bool)] {
            var p = Profile(label: label, issuer: "issuing")
            p.trust = ["factory"]
            p.revokeOnReenroll = revoke
            configure(&p)
            try admin.saveProfile(p, replace: false)
        }
        return try bootstrap(ca, cn: "boot")
    }

    static func bootstrap(_ ca: CertificateAuthority, cn: String) throws -> String {
        try ca.issue(csr: try csr(cn), profile: try ca.requireProfile("factory"), requester: "test", audit: nil).0.pem
    }

    static func csr(_ cn: String) throws -> CertificateSigningRequest {
        try CSRBuilder.make(subject: try DistinguishedName(parsing: "CN=\(cn)"), key: try PrivateKey.generate(.ecP256))
    }

    static func request(_ op: String, label: String?, cn: String, client: String) throws -> ESTRequest {
        let path = "/.well-known/est/" + (label.map { "\($0)/" } ?? "") + op
        return ESTRequest(params: ["REQUEST_METHOD": "POST", "DOCUMENT_URI": path, "CONTENT_TYPE": "application/pkcs10",
                                   "SSL_CLIENT_CERT": client], body: try csr(cn).der)
    }

    static func service(_ store: any CAStore, materials: CAMaterialCache = CAMaterialCache()) -> ESTService {
        ESTService(authority: CertificateAuthority(store: store, keyring: CAKeyring(passphrase: passphrase), materials: materials))
    }

    static func pem(of serial: String, in store: any CAStore) throws -> String {
        PEM.encode(try XCTUnwrap(store.issuedCertificates(serial: serial).first).der, label: "CERTIFICATE")
    }

    /// Runs `bodies` on threads released together; returns their results in order.
    static func together<T>(_ bodies: [() -> T]) -> [T] {
        let box = Results<T>(bodies.count)
        let ready = DispatchGroup(), done = DispatchGroup()
        let go = DispatchSemaphore(value: 0)
        for (i, body) in bodies.enumerated() {
            ready.enter(); done.enter()
            nonisolated(unsafe) let body = body
            Thread {
                ready.leave()
                go.wait()
                box.values[i] = body()
                done.leave()
            }.start()
        }
        ready.wait()
        for _ in bodies { go.signal() }
        done.wait()
        return box.values.map { $0! }
    }

    // MARK: bodies

    static func serialCollision(_ f: StoreFactory) throws {
        _ = try setUp(f)
        let store = try f.makeStore()
        let issuer = try XCTUnwrap(store.ca(named: "issuing"))
        let key = try CAKeyring(passphrase: passphrase).signingKey(for: issuer)
        func leaf(_ serial: Data) throws -> Certificate {
            try CertificateSigner.sign(CertificateTemplate(
                subject: try DistinguishedName(parsing: "CN=leaf"), publicKey: try PrivateKey.generate(.ecP256).publicKey,
                serial: serial, notBefore: Date(), notAfter: Date() + 3600, isCA: false, keyUsage: [.digitalSignature]),
                issuer: issuer.certificate, issuerKey: key)
        }
        let serial = try CertificateTemplate.randomSerial()
        _ = try store.recordIssued(NewCertificate(try leaf(serial), issuer: issuer, profile: nil, requester: nil),
                                   conditions: IssuanceConditions(), audit: nil, now: Date())
        XCTAssertThrowsError(try store.recordIssued(NewCertificate(try leaf(serial), issuer: issuer, profile: nil, requester: nil),
                                                    conditions: IssuanceConditions(), audit: nil, now: Date())) {
            XCTAssertTrue($0 is SerialCollision, "\($0)")
        }
        // The same serial under another issuer is no collision.
        let root = try XCTUnwrap(store.ca(named: "root"))
        let rootKey = try CAKeyring(passphrase: passphrase).signingKey(for: root)
        let other = try CertificateSigner.sign(CertificateTemplate(
            subject: try DistinguishedName(parsing: "CN=leaf"), publicKey: try PrivateKey.generate(.ecP256).publicKey,
            serial: serial, notBefore: Date(), notAfter: Date() + 3600, isCA: false, keyUsage: [.digitalSignature]),
            issuer: root.certificate, issuerKey: rootKey)
        XCTAssertNoThrow(try store.recordIssued(NewCertificate(other, issuer: root, profile: nil, requester: nil),
                                                conditions: IssuanceConditions(), audit: nil, now: Date()))
        // Another constraint (an issuer not in the store) is a failure, not a serial to retry.
        let stranger = try CARecord(id: 999, name: "stranger", certificateDER: issuer.certificate.der, chainPEM: "",
                                    encryptedKeyPEM: nil, status: .active, createdAt: "")
        XCTAssertThrowsError(try store.recordIssued(NewCertificate(try leaf(try CertificateTemplate.randomSerial()),
                                                                   issuer: stranger, profile: nil, requester: nil),
                                                    conditions: IssuanceConditions(), audit: nil, now: Date())) {
            guard case .internalFailure(let why) = ($0 as? StoreError).map(CAError.init) else { return XCTFail("\($0)") }
            XCTAssertTrue(why.lowercased().contains("foreign key"), why)
        }
    }

    static func timeComesFromTheCaller(_ f: StoreFactory) throws {
        _ = try setUp(f)
        let store = try f.makeStore()
        let issuer = try XCTUnwrap(store.ca(named: "issuing"))
        let key = try CAKeyring(passphrase: passphrase).signingKey(for: issuer)
        let leaf = try CertificateSigner.sign(CertificateTemplate(
            subject: try DistinguishedName(parsing: "CN=leaf"), publicKey: try PrivateKey.generate(.ecP256).publicKey,
            serial: try CertificateTemplate.randomSerial(), notBefore: Date(), notAfter: Date() + 3600, isCA: false,
            keyUsage: [.digitalSignature]), issuer: issuer.certificate, issuerKey: key)
        let then = Date(timeIntervalSince1970: 2_000_000_000)  // 2033-05-18T03:33:20Z
        let record = try store.recordIssued(NewCertificate(leaf, issuer: issuer, profile: nil, requester: nil),
                                            conditions: IssuanceConditions(), audit: nil, now: then)
        XCTAssertEqual(record.issuedAt, "2033-05-18T03:33:20Z")
        try store.recordAudit(.admin("test"), now: then)
        XCTAssertEqual(try store.auditRecords(limit: 1).first?.time, "2033-05-18T03:33:20Z")
        let revoked = try store.revoke(record, reason: .keyCompromise, audit: .admin("revoke"), now: then + 60)
        XCTAssertEqual(revoked.map(\.revokedAt), ["2033-05-18T03:34:20Z"])
        XCTAssertThrowsError(try store.revoke(record, reason: .keyCompromise, audit: .admin("revoke"), now: then)) {
            XCTAssertEqual(($0 as? StoreError).map(CAError.init), .badRequest("certificate \(record.serial) is already revoked"))
        }
    }

    static func profilesAndMaterialVersion(_ f: StoreFactory) throws {
        _ = try setUp(f)
        let store = try f.makeStore(), other = try f.makeStore()
        var p = Profile(label: "lab", issuer: "root")
        p.trust = ["root", "factory"]
        p.cacerts = ["root"]
        p.revokeOnReenroll = true
        p.identity.bootstrapUses = 3
        let before = try other.materialVersion()
        try store.saveProfile(p, replace: false, audit: .admin("profile-create"), now: Date())
        XCTAssertNotEqual(try other.materialVersion(), before, "another connection sees the change at once")
        let read = try XCTUnwrap(other.profile(label: "lab"))
        XCTAssertEqual(read.trust, ["root", "factory"], "in order")
        XCTAssertEqual(read.cacerts, ["root"])
        XCTAssertTrue(read.revokeOnReenroll)
        XCTAssertEqual(read.identity.bootstrapUses, 3)
        XCTAssertThrowsError(try store.saveProfile(p, replace: false, audit: .admin("profile-create"), now: Date())) {
            XCTAssertEqual(($0 as? StoreError).map(CAError.init), .badRequest("profile lab already exists"))
        }
        p.trust = ["nosuch"]
        XCTAssertThrowsError(try store.saveProfile(p, replace: true, audit: .admin("profile-update"), now: Date())) {
            XCTAssertEqual(($0 as? StoreError).map(CAError.init), .notFound("no CA named 'nosuch'"))
        }
        XCTAssertEqual(try store.profile(label: "lab")?.trust, ["root", "factory"], "a refused update changes nothing")
        XCTAssertEqual(try store.allProfiles().map(\.label), [nil, "factory", "iot", "keep", "lab"], "default first, then by label")
        // Issuing and revoking leave the parsed-material version alone; a CA change moves it.
        let v = try other.materialVersion()
        let ca = CertificateAuthority(store: store, keyring: CAKeyring(passphrase: passphrase))
        let record = try ca.issue(csr: try csr("v"), profile: try ca.requireProfile(nil), requester: "t", audit: nil).1
        _ = try store.revoke(record, reason: .keyCompromise, audit: .admin("revoke"), now: Date())
        XCTAssertEqual(try other.materialVersion(), v)
        _ = try store.setStatus(.disabled, ofCA: "root", audit: .admin("ca-disable"), now: Date())
        XCTAssertNotEqual(try other.materialVersion(), v)
        try store.deleteProfile(label: "lab", audit: .admin("profile-delete"), now: Date())
        XCTAssertNil(try other.profile(label: "lab"))
    }

    /// Two re-enrollments with one certificate at the same instant on two connections (two
    /// hosts, or two SQLite processes): under --revoke-on-reenroll one 200 and one 403
    /// "certificate already renewed"; without, both 200, each recorded once.
    static func reenrollmentRace(_ f: StoreFactory, rounds: Int = 8) throws {
        let boot = try setUp(f)
        let hostA = try f.pool(), hostB = try f.pool()
        let a = service(try hostA()), b = service(try hostB())
        let store = try f.makeStore()
        for round in 0..<rounds {
            let first = a.handle(try request("simpleenroll", label: "iot", cn: "dev-\(round)", client: boot))
            XCTAssertEqual(first.response.status, 200, first.logLine)
            let device = try pem(of: try XCTUnwrap(first.serial), in: store)
            let r1 = try request("simplereenroll", label: "iot", cn: "dev-\(round)", client: device)
            let r2 = try request("simplereenroll", label: "iot", cn: "dev-\(round)", client: device)
            let outcomes = together([{ a.handle(r1) }, { b.handle(r2) }])
            XCTAssertEqual(outcomes.map(\.response.status).sorted(), [200, 403], "round \(round): \(outcomes.map(\.logLine))")
            XCTAssertEqual(outcomes.first { $0.response.status == 403 }?.reason, "certificate already renewed")
            let successors = try store.issuedCertificates(matching: CertificateFilter(), now: Date())
                .filter { $0.replacesSerial == first.serial }
            XCTAssertEqual(successors.map(\.serial), outcomes.compactMap(\.serial), "round \(round): one successor, the answered one")

            let kept = a.handle(try request("simpleenroll", label: "keep", cn: "keep-\(round)", client: boot))
            let keptPEM = try pem(of: try XCTUnwrap(kept.serial), in: store)
            let k1 = try request("simplereenroll", label: "keep", cn: "keep-\(round)", client: keptPEM)
            let k2 = try request("simplereenroll", label: "keep", cn: "keep-\(round)", client: keptPEM)
            let both = together([{ a.handle(k1) }, { b.handle(k2) }])
            XCTAssertEqual(both.map(\.response.status), [200, 200], "round \(round): \(both.map(\.logLine))")
        }
        XCTAssertEqual(f.closePools(), 0)
        let audit = try store.auditRecords(limit: 10_000).filter { $0.event.operation == "simplereenroll" }
        XCTAssertEqual(audit.filter { $0.event.status == 200 }.count, rounds * 3)
        XCTAssertEqual(audit.filter { $0.event.status == 403 }.count, rounds, "the refusals are audited too")
    }

    /// Workers of two hosts enrolling at once: every answer a distinct serial, every
    /// answered certificate recorded once, one audit row each.
    static func concurrentEnrollments(_ f: StoreFactory, threads: Int = 4, each: Int = 8) throws {
        let boot = try setUp(f)
        let hosts = [try f.pool(), try f.pool()]
        let services = try (0..<threads).map { service(try hosts[$0 % 2]()) }
        let requests = try (0..<threads).map { t in try (0..<each).map { try request("simpleenroll", label: nil, cn: "d-\(t)-\($0)", client: boot) } }
        let outcomes = together((0..<threads).map { t in { requests[t].map { services[t].handle($0) } } }).flatMap { $0 }
        XCTAssertEqual(outcomes.filter { $0.response.status != 200 }.map(\.logLine), [])
        let serials = outcomes.compactMap(\.serial)
        XCTAssertEqual(Set(serials).count, threads * each, "every enrollment got its own serial")
        XCTAssertEqual(f.closePools(), 0)
        let store = try f.makeStore()
        let issued = try store.issuedCertificates(matching: CertificateFilter(profile: .defaultProfile), now: Date())
        XCTAssertEqual(Set(issued.map(\.serial)), Set(serials), "every answered certificate is recorded, and only those")
        XCTAssertEqual(try store.auditRecords(limit: 10_000).filter { $0.event.operation == "simpleenroll" && $0.event.status == 200 }.count,
                       threads * each)
    }

    /// Six first enrollments of one new device at once (registration jit): one certificate,
    /// five 403s; and --bootstrap-uses 2 holds against eight enrollments at once.
    static func registryAndBootstrapLimitRaces(_ f: StoreFactory) throws {
        let boot = try setUp(f) { p in
            if p.label == "iot" { p.registration = .jit }
            if p.label == "keep" { p.identity.bootstrapUses = 2 }
        }
        let host = try f.pool(), other = try f.pool()
        let services = try (0..<6).map { i in service(try (i % 2 == 0 ? host : other)()) }
        let same = try (0..<6).map { _ in try request("simpleenroll", label: "iot", cn: "dev-x", client: boot) }
        let outcomes = together((0..<6).map { i in { services[i].handle(same[i]) } })
        XCTAssertEqual(outcomes.map(\.response.status).sorted(), [200, 403, 403, 403, 403, 403], "\(outcomes.map(\.logLine))")
        XCTAssertEqual(Set(outcomes.filter { $0.response.status == 403 }.compactMap(\.reason)), ["device already enrolled, use simplereenroll"])
        let store = try f.makeStore()
        XCTAssertEqual(try store.device(DeviceKey(.cn, "dev-x"))?.source, .jit)
        XCTAssertEqual(try store.issuedCertificates(matching: CertificateFilter(device: DeviceKey(.cn, "dev-x")), now: Date()).count, 1)

        // A device an operator registered: nothing to insert, its row is what two writers share.
        _ = try store.addDevices(["dev-y"], kind: .cn, profile: "iot", audit: .admin("device-add"), now: Date())
        let registered = try (0..<6).map { _ in try request("simpleenroll", label: "iot", cn: "dev-y", client: boot) }
        let registeredOutcomes = together((0..<6).map { i in { services[i].handle(registered[i]) } })
        XCTAssertEqual(registeredOutcomes.map(\.response.status).sorted(), [200, 403, 403, 403, 403, 403], "\(registeredOutcomes.map(\.logLine))")
        XCTAssertEqual(try store.issuedCertificates(matching: CertificateFilter(device: DeviceKey(.cn, "dev-y")), now: Date()).count, 1)

        let limited = try (0..<6).map { try request("simpleenroll", label: "keep", cn: "lim-\($0)", client: boot) }
        let limitedOutcomes = together((0..<6).map { i in { services[i].handle(limited[i]) } })
        XCTAssertEqual(limitedOutcomes.filter { $0.response.status == 200 }.count, 2, "\(limitedOutcomes.map(\.logLine))")
        XCTAssertEqual(f.closePools(), 0)
    }

    /// A revocation through one connection is refused on the very next request at another
    /// (another host's responder, with its parsed CAs cached), and takes the successors
    /// re-enrolled from it along, whichever commits first.
    static func revocationAcrossHosts(_ f: StoreFactory) throws {
        let boot = try setUp(f)
        let hostA = try f.pool(), hostB = try f.pool()
        let a = service(try hostA()), b = service(try hostB())
        let cli = try f.makeStore()
        let first = a.handle(try request("simpleenroll", label: "keep", cn: "r", client: boot))
        let pemA = try pem(of: try XCTUnwrap(first.serial), in: cli)
        // Warm host B's cache, then revoke from the CLI.
        XCTAssertEqual(b.handle(try request("simplereenroll", label: "keep", cn: "r", client: pemA)).response.status, 200)
        let record = try XCTUnwrap(cli.issuedCertificates(serial: try XCTUnwrap(first.serial)).first)
        let revoked = try cli.revoke(record, reason: .keyCompromise, audit: .admin("revoke"), now: Date())
        XCTAssertEqual(revoked.count, 2, "the certificate and its successor")
        let next = b.handle(try request("simplereenroll", label: "keep", cn: "r", client: pemA))
        XCTAssertEqual(next.response.status, 403)
        XCTAssertEqual(next.reason, "client certificate is revoked")
        // Revocation racing a re-enrollment: no valid successor of a revoked certificate.
        for round in 0..<6 {
            let e = a.handle(try request("simpleenroll", label: "keep", cn: "race-\(round)", client: boot))
            let serial = try XCTUnwrap(e.serial)
            let p = try pem(of: serial, in: cli)
            let rec = try XCTUnwrap(cli.issuedCertificates(serial: serial).first)
            let req = try request("simplereenroll", label: "keep", cn: "race-\(round)", client: p)
            let revoker = try f.makeStore()
            _ = together([{ b.handle(req).response.status }, { (try? revoker.revoke(rec, reason: .keyCompromise, audit: .admin("revoke"), now: Date()).count) ?? -1 }])
            let line = try cli.issuedCertificates(matching: CertificateFilter(), now: Date()).filter { $0.replacesSerial == serial }
            XCTAssertEqual(line.filter { $0.status == .valid }.map(\.serial), [], "round \(round): a successor of a revoked certificate stayed valid")
        }
        XCTAssertEqual(f.closePools(), 0)
    }

    /// The administrative writes: requests held for approval, CRL numbers, denials,
    /// devices, audit pruning and tallies.
    static func administration(_ f: StoreFactory) throws {
        _ = try setUp(f)
        let store = try f.makeStore()
        let now = Date()
        let new = NewEnrollmentRequest(csrHash: "h1", profile: nil, operation: "simpleenroll", device: "d", subject: "CN=d",
                                       keyType: "ec-p256", requester: "r", requesterKey: "k", csrDER: Data([1, 2, 3]))
        let r1 = try store.submitEnrollmentRequest(new, now: now)
        XCTAssertEqual(try store.submitEnrollmentRequest(new, now: now).id, r1.id, "the same request twice records one")
        XCTAssertEqual(try store.enrollmentRequestCSR(id: r1.id), Data([1, 2, 3]))
        XCTAssertEqual(try store.openEnrollmentRequest(csrHash: "h1", profile: nil, operation: "simpleenroll", requesterKey: "k")?.id, r1.id)
        for i in 2...16 {
            _ = try store.submitEnrollmentRequest(NewEnrollmentRequest(csrHash: "h\(i)", profile: nil, operation: "simpleenroll", device: nil,
                                                                       subject: "CN=d", keyType: "ec-p256", requester: nil, requesterKey: "k",
                                                                       csrDER: Data([0])), now: now)
        }
        XCTAssertThrowsError(try store.submitEnrollmentRequest(NewEnrollmentRequest(csrHash: "h17", profile: nil, operation: "simpleenroll",
                                                                                    device: nil, subject: "CN=d", keyType: "ec-p256", requester: nil,
                                                                                    requesterKey: "k", csrDER: Data([0])), now: now)) {
            guard case .tooManyRequests = ($0 as? StoreError).map(CAError.init) else { return XCTFail("\($0)") }
        }
        XCTAssertEqual(try store.decideEnrollmentRequest(id: r1.id, approve: true, reason: "", audit: .admin("approve"), now: now).status, .approved)
        XCTAssertThrowsError(try store.decideEnrollmentRequest(id: r1.id, approve: false, reason: "", audit: .admin("reject"), now: now)) {
            XCTAssertEqual(($0 as? StoreError).map(CAError.init), .badRequest("request \(r1.id) is approved, not pending"))
        }
        XCTAssertEqual(try store.enrollmentRequests(status: .pending).count, 15)

        let crl = PublishedCRL(issuer: "issuing", number: 1, thisUpdate: "a", nextUpdate: "b", entries: 0, der: Data([9]))
        try store.recordCRL(crl, audit: .admin("crl"), now: now)
        XCTAssertThrowsError(try store.recordCRL(crl, audit: .admin("crl"), now: now)) { XCTAssertTrue($0 is CRLNumberTaken, "\($0)") }
        for n in 2...14 {
            try store.recordCRL(PublishedCRL(issuer: "issuing", number: Int64(n), thisUpdate: "a", nextUpdate: "b", entries: n, der: Data([UInt8(n)])),
                                audit: .admin("crl"), now: now)
        }
        XCTAssertEqual(try store.latestCRL(issuer: "issuing")?.number, 14)
        XCTAssertEqual(try store.latestCRL(issuer: "issuing")?.der, Data([14]))

        let denial = BootstrapDenial(issuer: "factory", key: .serial("0a"), reason: "leaked", createdAt: "")
        try store.addBootstrapDenial(denial, audit: .admin("deny"), now: now)
        XCTAssertThrowsError(try store.addBootstrapDenial(denial, audit: .admin("deny"), now: now)) {
            XCTAssertEqual(($0 as? StoreError).map(CAError.init), .badRequest("already denied"))
        }
        XCTAssertEqual(try store.bootstrapDenials(serial: "0a", fingerprint: "x").count, 1)
        try store.removeBootstrapDenial(issuer: "factory", key: .serial("0a"), audit: .admin("allow"), now: now)
        XCTAssertEqual(try store.bootstrapDenials().count, 0)

        let added = try store.addDevices(["a", "b", "a2"], kind: .cn, profile: "iot", audit: .admin("device-add"), now: now)
        XCTAssertEqual(added.added, ["a", "b", "a2"])
        let again = try store.addDevices(["a", "c"], kind: .cn, profile: nil, audit: .admin("device-add"), now: now)
        XCTAssertEqual(again.added, ["c"])
        XCTAssertEqual(again.conflicting.map(\.0), ["a"])
        XCTAssertEqual(try store.devices(profile: .label("iot")).map(\.name), ["a", "a2", "b"], "by name, byte order")
        XCTAssertEqual(try store.setStatus(.disabled, ofDevice: DeviceKey(.cn, "a"), reason: "lost", audit: .admin("disable"), now: now).status, .disabled)
        try store.removeDevice(DeviceKey(.cn, "b"), audit: .admin("remove"), now: now)
        XCTAssertNil(try store.device(DeviceKey(.cn, "b")))

        let old = Date(timeIntervalSince1970: 1_000_000_000)
        try store.recordAudit(AuditEvent(operation: "simpleenroll", profile: nil, client: "c", status: 403, outcome: .refused,
                                         reason: "why", serial: nil), now: old)
        XCTAssertEqual(try store.auditTallies(since: old).first { $0.status == 403 }?.count, 1)
        XCTAssertEqual(try store.pruneAudit(before: old + 1, audit: .admin("prune"), now: now), 1)
    }
}
