import ArgumentParser
import ESTCA
import ESTOpenSSL
import Foundation

struct ProfileCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "profile", abstract: "Manage enrollment profiles (one per label, plus an optional default).",
        subcommands: [Create.self, List.self, Show.self, Update.self, Delete.self])

    struct Create: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create a profile.")
        @OptionGroup var edit: ProfileEdit

        func run() throws {
            guard let issuer = edit.settings.issuer else { throw CAError.badRequest("--issuer CA is required") }
            try edit.save(Profile(label: edit.selector.label, issuer: issuer), replace: false)
        }
    }

    struct Update: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Change some settings of a profile.")
        @OptionGroup var edit: ProfileEdit

        func run() throws {
            guard let p = try edit.store.openStore().profile(label: edit.selector.label) else {
                throw CAError.notFound("no profile \(edit.selector.label ?? "(default)")")
            }
            try edit.save(p, replace: true)
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List profiles.")
        @OptionGroup var store: StoreOptions
        @OptionGroup var output: JSONOption

        func run() throws {
            let profiles = try store.openStore().allProfiles()
            if output.json { try printJSON(profiles.map(profileJSON)); return }
            for p in profiles {
                // The hook only when there is one, so the line of a profile without is as before.
                let hook = p.authorize.map { ["authorize=" + TextOutput.safe($0.url ?? $0.command ?? "")] } ?? []
                print(([p.displayName, "issuer=\(p.issuer)", "trust=\(p.trust.joined(separator: ","))",
                       "validity=\(p.validityDays)d"] + hook).joined(separator: "\t"))
            }
        }
    }

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show one profile.")
        @OptionGroup var store: StoreOptions
        @OptionGroup var selector: ProfileSelector
        @OptionGroup var output: JSONOption

        func run() throws {
            guard let p = try store.openStore().profile(label: selector.label) else {
                throw CAError.notFound("no profile \(selector.label ?? "(default)")")
            }
            try show(p, json: output.json)
        }
    }

    struct Delete: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Delete a profile (issued certificates stay recorded).")
        @OptionGroup var store: StoreOptions
        @OptionGroup var selector: ProfileSelector

        func run() throws {
            try store.administration().deleteProfile(label: selector.label)
            print("deleted profile \(selector.label ?? "(default)")")
        }
    }
}

/// What `profile create` and `profile update` take: a profile, its settings, the output.
struct ProfileEdit: ParsableArguments {
    @OptionGroup var store: StoreOptions
    @OptionGroup var selector: ProfileSelector
    @OptionGroup var settings: ProfileSettings
    @OptionGroup var output: JSONOption

    /// Applies the settings to `profile`, saves it through the administration, and shows
    /// what the store then holds.
    func save(_ profile: Profile, replace: Bool) throws {
        var p = profile
        try settings.apply(to: &p)
        let admin = try store.administration()
        try admin.saveProfile(p, replace: replace)
        guard let saved = try admin.store.profile(label: p.label) else { throw CAError.notFound("no profile \(p.displayName)") }
        try show(saved, json: output.json)
    }
}

func profileJSON(_ p: Profile) -> [String: Any] {
    let hook = p.authorize
    return [
        "authorize_url": nullable(hook?.url), "authorize_command": nullable(hook?.command),
        "authorize_timeout_ms": nullable(hook?.timeoutMilliseconds), "authorize_ca": nullable(hook?.caFile),
        "authorize_client_cert": nullable(hook?.clientCertificateFile), "authorize_client_key": nullable(hook?.clientKeyFile),
        "label": nullable(p.label), "default": p.label == nil, "issuer": p.issuer, "trust": p.trust,
        "cacerts": p.cacerts, "validity_days": p.validityDays, "key_types": p.keyTypes.map(\.description),
        "eku": p.eku.map(\.description), "reenroll_window_days": nullable(p.reenrollWindowDays),
        "revoke_on_reenroll": p.revokeOnReenroll, "serverkeygen": nullable(p.serverKeygen?.rawValue),
        "serverkeygen_encrypt": p.serverKeygenEncrypt, "csrattrs": p.csrAttrs.map(\.description),
        "enforce_csrattrs": p.enforceCsrAttrs, "san_kinds": p.identity.sanKinds.map(IdentityPolicy.name),
        "max_sans": p.identity.maxSANs, "max_subject_bytes": p.identity.maxSubjectBytes,
        "bind_identity": p.identity.binding.rawValue, "cn_pattern": nullable(p.identity.cnPattern),
        "dns_pattern": nullable(p.identity.dnsPattern), "bootstrap_uses": nullable(p.identity.bootstrapUses),
        "auth": p.auth.rawValue, "registration": p.registration.rawValue, "device_id": p.deviceID.rawValue,
        "replaceable_enrollment": p.replaceableEnrollment, "approval": p.approval.rawValue,
        "approval_retry_after": p.approvalRetryAfter, "crl_url": nullable(p.crlURL), "crl_ca": nullable(p.crlCA), "ocsp_url": nullable(p.ocspURL),
    ]
}

func show(_ p: Profile, json: Bool) throws {
    if json { try printJSON(profileJSON(p)); return }
    printFields(profileJSON(p))
}
