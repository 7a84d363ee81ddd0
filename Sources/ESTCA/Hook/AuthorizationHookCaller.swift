import ESTHTTP

/// One call of a profile's hook: the document to the URL (POST, application/json) or on
/// the command's stdin, and the verdict read from the answer. Never throws: whatever goes
/// wrong is a `.failed` verdict, which refuses (fail closed).
public enum AuthorizationHookCaller {
    /// The most of an answer read: an allow or a reason needs far less.
    public static let answerLimit = 16 * 1024

    public static func call(_ hook: AuthorizationHook, document: AuthorizationDocument) -> AuthorizationVerdict {
        let body: [UInt8]
        do { body = try document.json() } catch { return .failed("cannot encode the request document: \(error)") }
        switch hook.target {
        case .url(let url):
            do {
                let response = try HTTPClient.post(
                    url: url, body: body,
                    headers: [(name: "Content-Type", value: "application/json"), (name: "X-Request-ID", value: document.requestID)],
                    timeout: .milliseconds(hook.timeoutMilliseconds), caFile: hook.caFile,
                    clientCert: hook.clientCertificateFile, clientKey: hook.clientKeyFile, maxResponseBytes: answerLimit)
                return .fromHTTP(status: response.status, body: response.body)
            } catch {
                return .failed("\(error)")
            }
        case .command(let path):
            return .fromCommand(ProgramRunner.run(path, input: body, timeoutMilliseconds: hook.timeoutMilliseconds))
        }
    }
}
