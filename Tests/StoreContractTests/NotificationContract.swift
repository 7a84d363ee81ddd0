import ESTCA
import ESTCore
import ESTOpenSSL
import ESTSQL
import Foundation
import XCTest

/// A transport that records what it was sent, failing while `down` is set.
final class RecordingTransport: NotificationTransport, @unchecked Sendable {
    private let lock = NSLock()
    private var _posts: [(url: String, body: String, headers: [(String, String)])] = []
    private var _down = false
    let delay: Double

    init(delay: Double = 0) { self.delay = delay }

    var down: Bool {
        get { lock.withLock { _down } }
        set { lock.withLock { _down = newValue } }
    }
    var posts: [(url: String, body: String, headers: [(String, String)])] { lock.withLock { _posts } }
    var ids: [String] {
        posts.compactMap { (try? JSONSerialization.jsonObject(with: Data($0.body.utf8))) as? [String: Any] }.compactMap { $0["id"] as? String }
    }

    func post(url: String, body: Data, headers: [(String, String)], caFile: String?, timeoutSeconds: Int) throws -> Int {
        if delay > 0 { Thread.sleep(forTimeInterval: delay) }
        return try lock.withLock {
            if _down { throw CAError.unavailable("connection refused") }
            _posts.append((url, String(decoding: body, as: UTF8.self), headers))
            return 204
        }
    }
}

/// The notification outbox (NotificationStore) on every backend.
enum NotificationContract {
    static func store(_ f: StoreFactory) throws -> any CAStore & NotificationStore {
        try XCTUnwrap(try f.makeStore() as? any CAStore & NotificationStore)
    }

    static func receiver(_ s: any NotificationStore, _ url: String, _ events: [NotificationEventType] = NotificationEventType.allCases,
                         secretFile: String? = nil) throws -> NotificationReceiver {
        try s.addNotificationReceiver(try NewNotificationReceiver(url: url, events: events, caFile: nil, secretFile: secretFile),
                                      audit: .admin("notify-add"), now: Date())
    }

    static func types(_ s: any NotificationStore, _ receiver: Int64) throws -> [String] {
        try s.pendingNotifications(receiver: receiver, limit: 1000).map { $0.type.replacingOccurrences(of: "est.", with: "") }
    }

    /// Issuance, renewal (with the superseded revocation), revocation, refusal and pending
    /// requests each commit their event, for the receivers subscribed to it only; a
    /// transaction that fails leaves neither what it reports nor the event.
    static func eventsCommitWithWhatTheyReport(_ f: StoreFactory) throws {
        let boot = try StoreContract.setUp(f) { p in if p.label == "iot" { p.approval = .auto } }
        let cli = try store(f)
        let all = try receiver(cli, "http://127.0.0.1:1/all")
        let revocations = try receiver(cli, "http://127.0.0.1:1/revoked", [.revoked])
        XCTAssertEqual(try types(cli, all.id), [], "nothing before the receiver existed")
        let host = try f.pool()
        let service = StoreContract.service(try host())
        let first = service.handle(try StoreContract.request("simpleenroll", label: "iot", cn: "n1", client: boot))
        XCTAssertEqual(first.response.status, 200)
        let pem = try StoreContract.pem(of: try XCTUnwrap(first.serial), in: cli)
        let renewed = service.handle(try StoreContract.request("simplereenroll", label: "iot", cn: "n1", client: pem))
        XCTAssertEqual(renewed.response.status, 200)
        let record = try XCTUnwrap(cli.issuedCertificates(serial: try XCTUnwrap(renewed.serial)).first)
        _ = try cli.revoke(record, reason: .keyCompromise, audit: .admin("revoke"), now: Date())
        // Re-enrolling with the superseded certificate: refused after a policy decision.
        let refused = service.handle(try StoreContract.request("simplereenroll", label: "iot", cn: "n1", client: pem))
        XCTAssertEqual(refused.response.status, 403)
        XCTAssertEqual(f.closePools(), 0)
        XCTAssertEqual(try types(cli, all.id), ["certificate.issued", "certificate.renewed", "certificate.revoked",
                                                "certificate.revoked", "enrollment.refused"])
        XCTAssertEqual(try types(cli, revocations.id), ["certificate.revoked", "certificate.revoked"])
        let events = try cli.pendingNotifications(receiver: all.id, limit: 10)
        XCTAssertEqual(Set(events.map(\.eventID)).count, 5, "a distinct id each")
        let renewal = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(events[1].body.utf8)) as? [String: Any])
        XCTAssertEqual(renewal["specversion"] as? String, "1.0")
        XCTAssertEqual(renewal["source"] as? String, "/.well-known/est/iot")
        XCTAssertEqual(renewal["subject"] as? String, renewed.serial?.lowercased().drop { $0 == "0" }.description ?? renewal["subject"] as? String)
        let data = try XCTUnwrap(renewal["data"] as? [String: Any])
        XCTAssertEqual(data["replaces"] as? String, record.replacesSerial)
        XCTAssertEqual(data["operation"] as? String, "simplereenroll")
        let superseded = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(events[2].body.utf8)) as? [String: Any])
        XCTAssertEqual((superseded["data"] as? [String: Any])?["reason"] as? String, "superseded")

        // A failing transaction leaves no event: the issuance fails with the outbox's insert
        // (its table renamed away), and no certificate is recorded either.
        let db = try f.connection()
        let before = try cli.issuedCertificates(matching: CertificateFilter(), now: Date()).count
        try db.script("ALTER TABLE notify_deliveries RENAME TO notify_deliveries_away")
        let broken = StoreContract.service(try f.makeStore())
            .handle(try StoreContract.request("simpleenroll", label: "keep", cn: "n2", client: boot))
        XCTAssertEqual(broken.response.status, 500, broken.reason)
        try db.script("ALTER TABLE notify_deliveries_away RENAME TO notify_deliveries")
        XCTAssertEqual(try cli.issuedCertificates(matching: CertificateFilter(), now: Date()).count, before,
                       "the certificate went with its event")
        XCTAssertEqual(try types(cli, all.id).count, 5)

        // Removing a receiver drops what it was owed; the others keep theirs.
        XCTAssertEqual(try cli.removeNotificationReceiver(id: revocations.id, audit: .admin("notify-remove"), now: Date()), 2)
        XCTAssertEqual(try cli.notificationReceivers().map(\.id), [all.id])
        XCTAssertEqual(try cli.notificationReceivers().first?.backlog, 5)
        XCTAssertThrowsError(try cli.removeNotificationReceiver(id: revocations.id, audit: .admin("notify-remove"), now: Date()))
        XCTAssertThrowsError(try receiver(cli, "http://127.0.0.1:1/all"), "one receiver per URL")
    }

    /// A pending request is one event, however often the device polls.
    static func pendingOnce(_ f: StoreFactory) throws {
        let boot = try StoreContract.setUp(f) { p in if p.label == "keep" { p.approval = .manual } }
        let cli = try store(f)
        let all = try receiver(cli, "http://127.0.0.1:1/all", [.pending])
        let service = StoreContract.service(try f.makeStore())
        let request = try StoreContract.request("simpleenroll", label: "keep", cn: "p1", client: boot)
        for _ in 0..<3 { XCTAssertEqual(service.handle(request).response.status, 202) }
        XCTAssertEqual(try types(cli, all.id), ["enrollment.pending"])
        XCTAssertEqual(service.handle(try StoreContract.request("simpleenroll", label: "keep", cn: "p2", client: boot)).response.status, 202)
        XCTAssertEqual(try types(cli, all.id), ["enrollment.pending", "enrollment.pending"], "another CSR is another request")
    }

    /// The lease is one deliverer per receiver; marks need it; a failure backs off; an
    /// expired lease is taken over; pruning keeps what is still owed.
    static func leasesAndPruning(_ f: StoreFactory) throws {
        _ = try StoreContract.setUp(f)
        let a = try store(f), b = try store(f)
        let r = try receiver(a, "http://127.0.0.1:1/r", [.revoked])
        let issuer = try XCTUnwrap(a.ca(named: "issuing"))
        let key = try CAKeyring(passphrase: StoreContract.passphrase).signingKey(for: issuer)
        for i in 0..<5 {
            let cert = try CertificateSigner.sign(CertificateTemplate(
                subject: try DistinguishedName(parsing: "CN=l\(i)"), publicKey: try PrivateKey.generate(.ecP256).publicKey,
                serial: try CertificateTemplate.randomSerial(), notBefore: Date(), notAfter: Date() + 3600, isCA: false,
                keyUsage: [.digitalSignature]), issuer: issuer.certificate, issuerKey: key)
            let rec = try a.recordIssued(NewCertificate(cert, issuer: issuer, profile: nil, requester: nil),
                                         conditions: IssuanceConditions(), audit: nil, now: Date())
            _ = try a.revoke(rec, reason: .keyCompromise, audit: .admin("revoke"), now: Date())
        }
        let now = Date()
        XCTAssertNotNil(try a.leaseNotificationReceiver(id: r.id, token: "t1", until: now + 30, ignoringBackoff: false,
                                                        replacingDead: nil, now: now))
        XCTAssertNil(try b.leaseNotificationReceiver(id: r.id, token: "t2", until: now + 30, ignoringBackoff: true,
                                                     replacingDead: nil, now: now), "held by t1")
        let pending = try b.pendingNotifications(receiver: r.id, limit: 3)
        XCTAssertEqual(pending.map(\.sequence), pending.map(\.sequence).sorted())
        XCTAssertFalse(try b.markNotificationsDelivered(receiver: r.id, sequences: pending.map(\.sequence), token: "t2",
                                                        leaseUntil: now + 30, now: now), "not t2's lease")
        XCTAssertTrue(try a.markNotificationsDelivered(receiver: r.id, sequences: pending.prefix(2).map(\.sequence), token: "t1",
                                                       leaseUntil: now + 30, now: now))
        XCTAssertEqual(try a.notificationReceivers().first?.backlog, 3)
        XCTAssertEqual(try a.notificationReceivers().first?.delivered, 2)
        XCTAssertEqual(try a.pendingNotifications(receiver: r.id, limit: 10).first?.sequence, pending[2].sequence, "in order, from where it stopped")
        try a.markNotificationFailed(receiver: r.id, token: "t1", error: "HTTP 500\u{1b}[31m", retryAt: now + 60, now: now)
        let failed = try XCTUnwrap(a.notificationReceivers().first)
        XCTAssertEqual(failed.failures, 1)
        XCTAssertEqual(failed.lastError, "HTTP 500\\x1b[31m", "escaped")
        XCTAssertNil(failed.leaseHolder, "a failure frees the lease")
        XCTAssertNil(try b.leaseNotificationReceiver(id: r.id, token: "t2", until: now + 30, ignoringBackoff: false,
                                                     replacingDead: nil, now: now), "backing off")
        XCTAssertNotNil(try b.leaseNotificationReceiver(id: r.id, token: "t2", until: now + 30, ignoringBackoff: true,
                                                        replacingDead: nil, now: now))
        // t2 stops answering (killed): its lease expires, or is taken over when known dead.
        XCTAssertNil(try a.leaseNotificationReceiver(id: r.id, token: "t3", until: now + 30, ignoringBackoff: true,
                                                     replacingDead: nil, now: now + 10))
        XCTAssertNotNil(try a.leaseNotificationReceiver(id: r.id, token: "t3", until: now + 60, ignoringBackoff: true,
                                                        replacingDead: "t2", now: now + 10))
        XCTAssertNotNil(try b.leaseNotificationReceiver(id: r.id, token: "t4", until: now + 120, ignoringBackoff: true,
                                                        replacingDead: nil, now: now + 61))
        // t4 stalls past its lease: its deliveries no longer count, though no one took it.
        XCTAssertFalse(try b.markNotificationsDelivered(receiver: r.id, sequences: [pending[2].sequence], token: "t4",
                                                        leaseUntil: now + 240, now: now + 121), "a lease past its time")
        XCTAssertEqual(try a.notificationReceivers().first?.backlog, 3, "nothing marked")
        XCTAssertTrue(try b.markNotificationsDelivered(receiver: r.id, sequences: [pending[2].sequence], token: "t4",
                                                       leaseUntil: now + 120, now: now + 61))
        // Pruning: the newest delivered are kept; what is still owed never goes.
        XCTAssertEqual(try a.pruneNotifications(keepingDelivered: 1), 2)
        XCTAssertEqual(try a.notificationReceivers().first?.backlog, 2)
        XCTAssertEqual(try a.pruneNotifications(keepingDelivered: 0), 1)
        XCTAssertEqual(try a.pendingNotifications(receiver: r.id, limit: 10).count, 2)
        XCTAssertEqual(try f.connection().count("SELECT count(*) FROM notify_outbox"), 2)
    }

    /// The deliverer: in order, signed, retried after a failure without holding up another
    /// receiver; two deliverers at once send each event once, in order.
    static func deliverers(_ f: StoreFactory) throws {
        let boot = try StoreContract.setUp(f)
        let cli = try store(f)
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("notify-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let secretFile = dir.appendingPathComponent("secret").path
        FileManager.default.createFile(atPath: secretFile, contents: Data("0123456789abcdef-secret\n".utf8), attributes: [.posixPermissions: 0o600])
        let up = try receiver(cli, "http://127.0.0.1:1/up", secretFile: secretFile)
        let down = try receiver(cli, "http://127.0.0.1:1/down")
        let service = StoreContract.service(try f.makeStore())
        for i in 0..<6 {
            XCTAssertEqual(service.handle(try StoreContract.request("simpleenroll", label: "keep", cn: "d\(i)", client: boot)).response.status, 200)
        }
        let order = try cli.pendingNotifications(receiver: up.id, limit: 100).map(\.eventID)
        XCTAssertEqual(order.count, 6)

        final class Split: NotificationTransport, @unchecked Sendable {
            let good = RecordingTransport(), bad = RecordingTransport()
            init() { bad.down = true }
            func post(url: String, body: Data, headers: [(String, String)], caFile: String?, timeoutSeconds: Int) throws -> Int {
                try (url.hasSuffix("/down") ? bad : good).post(url: url, body: body, headers: headers, caFile: caFile, timeoutSeconds: timeoutSeconds)
            }
        }
        let split = Split()
        let metrics = NotificationMetrics()
        let result = try NotificationDeliverer(store: try store(f), transport: split, metrics: metrics).runOnce()
        XCTAssertEqual(result.delivered, 6)
        XCTAssertEqual(result.failures.map(\.receiver), [down.id], "one receiver down holds up no other")
        XCTAssertEqual(split.good.ids, order, "in commit order")
        for post in split.good.posts {
            let header = try XCTUnwrap(post.headers.first { $0.0 == NotificationDeliverer.signatureHeader }?.1)
            XCTAssertEqual(header, "sha256=" + HMAC.sha256(key: Data("0123456789abcdef-secret".utf8), data: Data(post.body.utf8)).hexString)
            XCTAssertEqual(post.headers.first { $0.0 == "Content-Type" }?.1, "application/cloudevents+json; charset=utf-8")
        }
        XCTAssertEqual(metrics.counts.delivered, 6)
        XCTAssertEqual(metrics.counts.failed, 1)
        XCTAssertEqual(metrics.counts.backlog, 6, "the down receiver's")
        XCTAssertTrue(metrics.render().contains("estfcgi_notification_backlog 6\n"))
        let downState = try XCTUnwrap(cli.notificationReceivers().first { $0.id == down.id })
        XCTAssertEqual(downState.backlog, 6)
        XCTAssertEqual(downState.failures, 1)
        XCTAssertNotNil(downState.nextAttemptAt)
        XCTAssertTrue(downState.lastError?.contains("connection refused") == true)
        // Backing off: a pass now does not try it; `run --once` (ignoringBackoff) does.
        split.bad.down = false
        XCTAssertEqual(try NotificationDeliverer(store: try store(f), transport: split).runOnce().delivered, 0)
        XCTAssertEqual(try NotificationDeliverer(store: try store(f), transport: split).runOnce(ignoringBackoff: true).delivered, 6)
        XCTAssertEqual(split.bad.ids, order, "after the outage: none lost, in order")
        XCTAssertEqual(try cli.notificationReceivers().map(\.backlog), [0, 0])
        XCTAssertEqual(try cli.notificationReceivers().first { $0.id == down.id }?.failures, 0)

        // Two deliverers at once on their own connections, a slow receiver: once each, in order.
        for i in 0..<12 {
            XCTAssertEqual(service.handle(try StoreContract.request("simpleenroll", label: "keep", cn: "c\(i)", client: boot)).response.status, 200)
        }
        let next = try cli.pendingNotifications(receiver: up.id, limit: 100).map(\.eventID)
        let slow = RecordingTransport(delay: 0.01)
        let d1 = NotificationDeliverer(store: try store(f), transport: slow)
        let d2 = NotificationDeliverer(store: try store(f), transport: slow)
        let counts = StoreContract.together([{ (try? d1.runOnce(ignoringBackoff: true).delivered) ?? -1 },
                                             { (try? d2.runOnce(ignoringBackoff: true).delivered) ?? -1 }])
        XCTAssertFalse(counts.contains(-1), "\(counts)")
        let toUp = slow.posts.filter { $0.url.hasSuffix("/up") }
            .compactMap { (try? JSONSerialization.jsonObject(with: Data($0.body.utf8))) as? [String: Any] }.compactMap { $0["id"] as? String }
        XCTAssertEqual(toUp, next, "each once, in order, across two deliverers")
        XCTAssertEqual(slow.posts.count, 24, "12 to each receiver")
    }

    /// Back-off doubles with failures in a row, and starts again after a delivery: a pass
    /// that delivers some events and then fails waits 1 s, not the earlier failures' time.
    static func backoff(_ f: StoreFactory) throws {
        let boot = try StoreContract.setUp(f)
        let cli = try store(f)
        let r = try receiver(cli, "http://127.0.0.1:1/r", [.issued])
        let service = StoreContract.service(try f.makeStore())
        for i in 0..<3 {
            XCTAssertEqual(service.handle(try StoreContract.request("simpleenroll", label: "keep", cn: "b\(i)", client: boot)).response.status, 200)
        }
        final class Countdown: NotificationTransport, @unchecked Sendable {
            var left: Int
            init(_ n: Int) { left = n }
            func post(url: String, body: Data, headers: [(String, String)], caFile: String?, timeoutSeconds: Int) throws -> Int {
                if left <= 0 { return 503 }
                left -= 1
                return 200
            }
        }
        let t0 = Date(timeIntervalSince1970: 2_000_000_000)
        func pass(at offset: Double, allowing n: Int) throws -> NotificationReceiver {
            _ = try NotificationDeliverer(store: try store(f), transport: Countdown(n), now: { t0 + offset }).runOnce(ignoringBackoff: true)
            return try XCTUnwrap(cli.notificationReceivers().first { $0.id == r.id })
        }
        XCTAssertEqual(try pass(at: 0, allowing: 0).nextAttemptAt, Timestamp.string(t0 + 1))
        XCTAssertEqual(try pass(at: 10, allowing: 0).nextAttemptAt, Timestamp.string(t0 + 12))
        let third = try pass(at: 20, allowing: 0)
        XCTAssertEqual(third.nextAttemptAt, Timestamp.string(t0 + 24))
        XCTAssertEqual(third.failures, 3)
        XCTAssertEqual(third.lastError?.hasPrefix("HTTP 503 for event "), true)
        let partial = try pass(at: 30, allowing: 2)
        XCTAssertEqual(partial.backlog, 1)
        XCTAssertEqual(partial.failures, 1, "the deliveries reset the count")
        XCTAssertEqual(partial.nextAttemptAt, Timestamp.string(t0 + 31), "and the back-off")
        XCTAssertEqual(NotificationDeliverer.backoff(afterFailures: 30), NotificationDeliverer.maxBackoffSeconds)
    }
}
