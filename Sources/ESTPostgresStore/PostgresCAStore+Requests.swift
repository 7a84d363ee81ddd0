import ESTCA
import ESTCore
import ESTStoreRecords
import ESTPostgres
import Foundation

extension PostgresCAStore {
    static func requests(_ db: PGConnection, where condition: String, _ params: [any PGBindable]) throws -> [EnrollmentRequest] {
        try db.query("SELECT \(StoreRecords.requestColumns) FROM \(StoreRecords.requestFrom) WHERE \(condition)", params).map(StoreRecords.request)
    }

    /// What one set of credentials may leave waiting for an operator.
    static let maxPendingPerRequester = 16

    private static let openRequest = """
        q.csr_hash = $1 AND q.profile IS NOT DISTINCT FROM $2 AND q.operation = $3 AND q.requester_key = $4 \
        AND q.status <> 'issued'
        """

    public func openEnrollmentRequest(csrHash: String, profile: String?, operation: String,
                                      requesterKey: String) throws -> EnrollmentRequest? {
        try read { try Self.requests(db, where: Self.openRequest, [csrHash, profile, operation, requesterKey]).first }
    }

    public func submitEnrollmentRequest(_ r: NewEnrollmentRequest, now: Date) throws -> EnrollmentRequest {
        try write {
            // The requester's pending count is checked and grown by one writer at a time.
            try lock("pending\u{1}\(r.requesterKey)")
            if try Self.requests(db, where: Self.openRequest, [r.csrHash, r.profile, r.operation, r.requesterKey]).isEmpty,
               case .integer(let waiting) = try db.scalar(
                   "SELECT count(*) FROM enrollment_requests WHERE requester_key = $1 AND status = 'pending'", [r.requesterKey]),
               waiting >= Self.maxPendingPerRequester {
                throw CAError.tooManyRequests("\(waiting) requests of these credentials already await approval")
            }
            // The partial unique index makes a second submission at the same instant a no-op.
            try db.execute("""
                INSERT INTO enrollment_requests (csr_hash, profile, operation, device, subject, key_type,
                    requester, requester_key, csr, created_at)
                VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
                ON CONFLICT DO NOTHING
                """, [r.csrHash, r.profile, r.operation, r.device, r.subject, r.keyType, r.requester, r.requesterKey,
                      r.csrDER, Timestamp.string(now)])
            guard let recorded = try Self.requests(db, where: Self.openRequest, [r.csrHash, r.profile, r.operation, r.requesterKey]).first else {
                throw CAError.internalFailure("request for approval not recorded")
            }
            return recorded
        }
    }

    public func enrollmentRequest(id: Int64) throws -> EnrollmentRequest? {
        try read { try Self.requests(db, where: "q.id = $1", [id]).first }
    }

    public func enrollmentRequestCSR(id: Int64) throws -> Data? {
        try read { try db.query("SELECT csr FROM enrollment_requests WHERE id = $1", [id]).first?.data("csr") }
    }

    public func enrollmentRequests(status: EnrollmentRequest.Status?) throws -> [EnrollmentRequest] {
        try read {
            if let status { return try Self.requests(db, where: "q.status = $1 ORDER BY q.id", [status.rawValue]) }
            return try Self.requests(db, where: "true ORDER BY q.id", [])
        }
    }

    public func decideEnrollmentRequest(id: Int64, approve: Bool, reason: String, audit: AuditEvent,
                                        now: Date) throws -> EnrollmentRequest {
        try write {
            guard let status = try db.query("SELECT status FROM enrollment_requests WHERE id = $1 FOR NO KEY UPDATE", [id])
                .first?.string("status") else {
                throw CAError.notFound("no request \(id)")
            }
            guard status == EnrollmentRequest.Status.pending.rawValue else {
                throw CAError.badRequest("request \(id) is \(status), not pending")
            }
            try db.execute("UPDATE enrollment_requests SET status = $1, reason = $2, decided_at = $3 WHERE id = $4",
                           [approve ? "approved" : "rejected", reason, Timestamp.string(now), id])
            try recordAudit(audit, now: now)
            guard let decided = try Self.requests(db, where: "q.id = $1", [id]).first else {
                throw CAError.internalFailure("request vanished")
            }
            return decided
        }
    }
}
