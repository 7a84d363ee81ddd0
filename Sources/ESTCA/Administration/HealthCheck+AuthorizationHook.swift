import Foundation

extension HealthCheck {
    /// A profile's authorization hook as this user finds it: the command an executable
    /// regular file, the TLS files readable. A missing one makes every enrollment under the
    /// profile a 503 (the hook fails closed). The responder may run as another user: the
    /// detail says whose view this is. The service itself is not called (doctor reads only).
    func authorizationHookFindings(_ p: Profile, subject: String) -> [HealthFinding] {
        guard let hook = p.authorize else { return [] }
        let fix = "profile update \(selector(p)) --authorize-command PATH | --authorize-url URL ... (or --no-authorize)"
        let user = ProcessInfo.processInfo.userName
        var problems: [String] = []
        var isDirectory: ObjCBool = false
        if let command = hook.command {
            if !FileManager.default.fileExists(atPath: command, isDirectory: &isDirectory) || isDirectory.boolValue {
                problems.append("--authorize-command \(command) is not a file")
            } else if access(command, X_OK) != 0 {
                problems.append("--authorize-command \(command) is not executable by \(user)")
            }
        }
        for (option, file) in [("--authorize-ca", hook.caFile), ("--authorize-client-cert", hook.clientCertificateFile),
                               ("--authorize-client-key", hook.clientKeyFile)] {
            if let file, access(file, R_OK) != 0 { problems.append("\(option) \(file) is not readable by \(user)") }
        }
        guard problems.isEmpty else {
            return problems.map {
                HealthFinding(.fail, subject, "\($0): every enrollment under this profile is refused (503)", fix: fix)
            }
        }
        let target = hook.url.map { "URL \($0)" } ?? "command \(hook.command ?? "")"
        return [HealthFinding(.ok, subject, "authorization hook: \(target), \(hook.timeoutMilliseconds) ms (files present for \(user))")]
    }
}
