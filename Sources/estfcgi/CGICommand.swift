import ESTCore
import ESTFastCGI
import Foundation

/// `estfcgi` as a classic CGI program (Apache mod_cgid, nginx with fcgiwrap): the same
/// service, authority and store as `serve`, for one request per process. Start-up is kept
/// cheap, since every request pays it: the store is opened, and the key file and passphrase
/// file read, only when the request needs them; a CA key is decrypted only when a request
/// signs (sealed under the key file: microseconds; under the passphrase: PBKDF2 at 600,000
/// iterations, ~0.2 s, which is why the key file is CGI's default). No quick_check and no
/// key re-encryption here: `estfcgi init` and `ca rekey-protection` do the latter.
enum CGICommand {
    /// When this process is a CGI program, answers its request and exits; else returns.
    static func runIfCGI() {
        guard let params = CGIAdapter.invocation(arguments: Array(CommandLine.arguments.dropFirst())) else { return }
        exit(answer(params))
    }

    /// The request answered, and everything it opened released before the process exits:
    /// the store's connection is closed, so that SQLite, when this was its last connection,
    /// checkpoints the WAL and removes it. Left open at exit(), the WAL kept up to 1,000
    /// committed pages, and the next process (the first connection again) re-read and
    /// checksummed all of them to rebuild its index: a few ms of every request (perf, issue 24).
    private static func answer(_ params: [String: String]) -> Int32 {
        // No commit queue (no writer thread) for one request: the store writes its own
        // transactions, so an issued certificate and its audit row are committed before
        // the answer is written, and a refusal's audit row before the process exits.
        let service = ESTService(authority: DeferredAuthority { try StoreOptions.cgi(params).authority(pkcs11: StoreOptions.cgiPKCS11(params)) })
        return CGIAdapter.run(params: params, service: service)
    }
}
