import ESTCA
import ESTCore
import ESTSQL
import Foundation

extension SQLCAStore {
    static func requests(_ db: any SQLConnection, where condition: String, _ params: [any SQLBindable]) throws -> [EnrollmentRequest] {
        try db.rows("SELECT \(StoreRecords.requestColumns) FROM \(StoreRecords.requestFrom) WHERE \(condition)", params).map(StoreRecords.request)
    }

    /// What one set of credentials may leave waiting for an operator: a bootstrap certificate
    /// cannot fill the operator's list (or the store) with requests.
    static let maxPendingPerRequester = 16

    private static let openRequest =
        "q.csr_hash = ? AND q.profile IS NOT DISTINCT FROM ? AND q.operation = ? AND q.requester_key = ? AND q.status <> 'issued'"

    public func openEnrollmentRequest(csrHash: String, profile: String?, operation: String,
                                      requesterKey: String) throws -> EnrollmentRequest? {
        try read { try Self.requests($0, where: Self.openRequest, [csrHash, profile, operation, requesterKey]).first }
    }

    public func submitEnrollmentRequest(_ r: NewEnrollmentRequest, now: Date) throws -> EnrollmentRequest {
        try commit { db in
            // The requester's pending count is checked and grown by one writer at a time.
            try db.dialect.advisoryLock("pending\u{1}\(r.requesterKey)", on: db)
            if try Self.requests(db, where: Self.openRequest, [r.csrHash, r.profile, r.operation, r.requesterKey]).isEmpty {
                let waiting = try db.count("SELECT count(*) FROM enrollment_requests WHERE requester_key = ? AND status = 'pending'",
                                           [r.requesterKey])
                if waiting >= Self.maxPendingPerRequester {
                    throw StoreError.tooManyRequests("\(waiting) requests of these credentials already await approval")
                }
            }
            // The partial unique index makes a second submission at the same instant a no-op.
            let inserted = try db.run("""
                INSERT INTO enrollment_requests (csr_hash, profile, operation, device, subject, key_type,
                    requester, requester_key, csr, created_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT DO NOTHING
                """, [r.csrHash, r.profile, r.operation, r.device, r.subject, r.keyType, r.requester, r.requesterKey,
                      r.csrDER, Timestamp.string(now)])
            guard let recorded = try Self.requests(db, where: Self.openRequest, [r.csrHash, r.profile, r.operation, r.requesterKey]).first else {
                throw StoreError.failed("request for approval not recorded")
            }
            // Once per request: a repeat submission (the 202 polls) records nothing new.
            if inserted == 1 { try Self.notifyPending(db, recorded, now: now) }
            return recorded
        }
    }

    public func enrollmentRequest(id: Int64) throws -> EnrollmentRequest? {
        try read { try Self.requests($0, where: "q.id = ?", [id]).first }
    }

    public func enrollmentRequestCSR(id: Int64) throws -> Data? {
        try read { try $0.rows("SELECT csr FROM enrollment_requests WHERE id = ?", [id]).first.map { try $0.requiredData("csr") } }
    }

    public func enrollmentRequests(status: EnrollmentRequest.Status?) throws -> [EnrollmentRequest] {
        try read { db in
            if let status { return try Self.requests(db, where: "q.status = ? ORDER BY q.id", [status.rawValue]) }
            return try Self.requests(db, where: "TRUE ORDER BY q.id", [])
        }
    }

    public func decideEnrollmentRequest(id: Int64, approve: Bool, reason: String, audit: AuditEvent,
                                        now: Date) throws -> EnrollmentRequest {
        try write { db in
            guard let row = try db.rows("SELECT status FROM enrollment_requests WHERE id = ?\(Self.lock(db, .noKeyUpdate))", [id]).first else {
                throw StoreError.notFound("no request \(id)")
            }
            let status = try row.requiredString("status")
            guard status == EnrollmentRequest.Status.pending.rawValue else {
                throw StoreError.conflict("request \(id) is \(status), not pending")
            }
            try db.run("UPDATE enrollment_requests SET status = ?, reason = ?, decided_at = ? WHERE id = ?",
                       [approve ? "approved" : "rejected", reason, Timestamp.string(now), id])
            try Self.insertAudit(db, audit, now: now)
            guard let decided = try Self.requests(db, where: "q.id = ?", [id]).first else {
                throw StoreError.failed("request vanished")
            }
            return decided
        }
    }
}
