import Foundation

extension HealthCheck {
    /// Each notification receiver: whether what it is owed is being delivered, and whether
    /// a deliverer can read what it needs. An event stays owed until delivered (never
    /// dropped), so a receiver that keeps failing grows the outbox: doctor is where an
    /// operator who does not watch the metrics hears of it.
    func notificationFindings() throws -> [HealthFinding] {
        guard let store = store as? any NotificationStore else { return [] }
        return try store.notificationReceivers().map(notificationFinding)
    }

    func notificationFinding(_ r: NotificationReceiver) -> HealthFinding {
        let subject = "notify \(r.id)"
        let remove = "`estfcgi notify remove \(r.id)` drops it and what it is owed"
        // The deliverer reads the secret as here, for each pass: what fails here fails there.
        if let file = r.secretFile {
            do { _ = try PassphraseFile.firstLine(file, minimumLength: NotificationDeliverer.minimumSecretLength) } catch {
                return HealthFinding(.fail, subject, "\(r.url): secret file: \((error as? CAError)?.reason ?? "\(error)"); \(r.backlog) event(s) owed, none can be signed",
                                     fix: "restore \(file) (mode 600, at least \(NotificationDeliverer.minimumSecretLength) bytes on its first line), or \(remove)")
            }
        }
        if let file = r.caFile, !FileManager.default.isReadableFile(atPath: file) {
            return HealthFinding(.fail, subject, "\(r.url): --ca file \(file) cannot be read; \(r.backlog) event(s) owed",
                                 fix: "restore \(file), or \(remove)")
        }
        if r.backlog > 0, r.failures > 0 {
            let last = r.lastError.map { "; last error at \(r.lastErrorAt ?? "?"): \($0)" } ?? ""
            let next = r.nextAttemptAt.map { "; next attempt at \($0)" } ?? ""
            return HealthFinding(.warn, subject, "\(r.url): \(r.backlog) event(s) owed, \(r.failures) failed attempt(s) since the last delivery\(last)\(next)",
                                 fix: "bring the receiver back (nothing is lost meanwhile); `estfcgi notify run --once` tries at once; \(remove)")
        }
        return HealthFinding(.ok, subject, "\(r.url): \(r.delivered) delivered, \(r.backlog) owed")
    }
}
