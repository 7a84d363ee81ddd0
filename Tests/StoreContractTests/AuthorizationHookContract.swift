import ESTCA
import ESTCore
import ESTSQL
import ESTStore
import Foundation
import XCTest

/// A profile's authorization hook as the store keeps it (migration 13): read back equal on
/// both engines, replaced and removed by a profile update, at most one of URL and command
/// (the schema's CHECK too), carried by `store copy`.
enum AuthorizationHookContract {
    static func hooksAreStored(_ f: StoreFactory) throws {
        _ = try StoreContract.setUp(f)
        let store = try f.makeStore(), other = try f.makeStore()
        var hook = AuthorizationHook(target: .url("https://hooks.example.com/est?tenant=a"))
        hook.timeoutMilliseconds = 750
        hook.caFile = "/etc/estfcgi/hook-ca.pem"
        hook.clientCertificateFile = "/etc/estfcgi/hook-client.pem"
        hook.clientKeyFile = "/etc/estfcgi/hook-client.key"
        var p = Profile(label: "hooked", issuer: "root")
        p.authorize = hook
        try store.saveProfile(p, replace: false, audit: .admin("profile-create"), now: Date())
        XCTAssertEqual(try other.profile(label: "hooked")?.authorize, hook)
        XCTAssertNil(try other.profile(label: nil)?.authorize, "a profile without a hook has none")

        // Replaced by a command: the URL and its TLS files are gone; the version moves.
        let v = try other.materialVersion()
        var command = AuthorizationHook(target: .command("/usr/local/lib/estfcgi/authorize"))
        command.timeoutMilliseconds = 60_000
        p.authorize = command
        try store.saveProfile(p, replace: true, audit: .admin("profile-update"), now: Date())
        XCTAssertEqual(try other.profile(label: "hooked")?.authorize, command)
        XCTAssertNotEqual(try other.materialVersion(), v, "responders reload the profile")

        // store copy carries it.
        let target = try StoreFactory(f.backend)
        _ = try target.makeStore(create: true)
        _ = try StoreCopy.copy(from: try f.connection(), to: try target.connection(), targetName: "target")
        XCTAssertEqual(try target.makeStore().profile(label: "hooked")?.authorize, command)

        // The schema itself refuses a URL and a command at once.
        let db = try f.connection()
        XCTAssertThrowsError(try db.run("UPDATE profiles SET authorize_url = ? WHERE label = ?", ["http://a.example/", "hooked"]))
        XCTAssertThrowsError(try db.run("UPDATE profiles SET authorize_timeout_ms = ? WHERE label = ?", [0, "hooked"]))

        p.authorize = nil
        try store.saveProfile(p, replace: true, audit: .admin("profile-update"), now: Date())
        XCTAssertNil(try other.profile(label: "hooked")?.authorize)
    }
}
