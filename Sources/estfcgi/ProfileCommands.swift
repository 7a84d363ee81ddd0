import ArgumentParser
import ESTCA
import ESTOpenSSL
import Foundation

/// `--aps LABEL` or `--default`: which profile a command is about.
struct ProfileSelector: ParsableArguments {
    @Option(help: ArgumentHelp("Profile label (the APS in /.well-known/est/LABEL/...).", valueName: "LABEL")) var aps: String?
    @Flag(name: .customLong("default"), help: "The default profile (/.well-known/est/...).") var isDefault = false

    func validate() throws {
        guard (aps != nil) != isDefault else { throw ValidationError("give exactly one of --aps LABEL or --default") }
    }

    var label: String? { aps }
}

/// Settings shared by `profile create` and `profile update`; nil leaves a value as is.
struct ProfileSettings: ParsableArguments {
    @Option(help: "The CA that signs certificates under this profile.") var issuer: String?
    @Option(help: ArgumentHelp("CAs whose certificates may authenticate a first enrollment.", valueName: "CA,...")) var trust: String?
    @Option(help: "Certificate validity in days (capped at the issuer's notAfter).") var validityDays: Int?
    @Option(help: ArgumentHelp("Accepted CSR key types: \(KeyType.names), rsa, ec (default: all).", valueName: "LIST")) var keyTypes: String?
    @Option(help: ArgumentHelp("extendedKeyUsage: clientAuth,serverAuth,... or OIDs.", valueName: "LIST")) var eku: String?
    @Option(help: ArgumentHelp("simplereenroll is accepted only this many days before notAfter; 'none' (the default): any time.", valueName: "N")) var reenrollWindowDays: String?
    @Flag(inversion: .prefixedNo, help: "Revoke the replaced certificate (superseded) on re-enrollment.") var revokeOnReenroll: Bool?
    @Option(help: ArgumentHelp("Enable serverkeygen with this key type (\(KeyType.names)), or 'none'.", valueName: "KEYTYPE")) var serverkeygen: String?
    @Option(help: ArgumentHelp("What /cacerts returns (default: the issuer and its chain).", valueName: "CA,...")) var cacerts: String?
    @Flag(inversion: .prefixedNo, help: "Always encrypt server-generated keys (to the client's TLS certificate when the CSR names no recipient).") var serverkeygenEncrypt: Bool?
    @Option(help: ArgumentHelp("What /csrattrs asks for: challengePassword, serialNumber, macAddress, a key type, a signature algorithm (ecdsa-with-SHA384, ...), san, san-dns, san-ip, san-email, san-uri, or OIDs; '' for nothing.", valueName: "ITEM,...")) var csrattrs: String?
    @Flag(inversion: .prefixedNo, help: "Refuse (400) enroll and serverkeygen CSRs that lack what /csrattrs asks for.") var enforceCsrattrs: Bool?

    func apply(to p: inout Profile) throws {
        if let issuer { p.issuer = issuer }
        if let t = list(trust) { p.trust = t }
        if let validityDays { p.validityDays = validityDays }
        if let k = list(keyTypes) { p.keyTypes = k }
        if let e = list(eku) { p.eku = e }
        if let w = reenrollWindowDays {
            guard w == "none" || Int(w) != nil else { throw CAError.badRequest("--reenroll-window-days takes a number of days or 'none'") }
            p.reenrollWindowDays = Int(w)
        }
        if let revokeOnReenroll { p.revokeOnReenroll = revokeOnReenroll }
        if let serverkeygen { p.serverKeygen = serverkeygen == "none" ? nil : serverkeygen }
        if let c = list(cacerts) { p.cacerts = c }
        if let serverkeygenEncrypt { p.serverKeygenEncrypt = serverkeygenEncrypt }
        if let c = list(csrattrs) { p.csrAttrs = c }
        if let enforceCsrattrs { p.enforceCsrAttrs = enforceCsrattrs }
    }
}

struct ProfileCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "profile", abstract: "Manage enrollment profiles (one per label, plus an optional default).",
        subcommands: [Create.self, List.self, Show.self, Update.self, Delete.self])

    struct Create: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create a profile.")
        @OptionGroup var store: StoreOptions
        @OptionGroup var selector: ProfileSelector
        @OptionGroup var settings: ProfileSettings
        @OptionGroup var output: JSONOption

        func run() throws {
            guard let issuer = settings.issuer else { throw CAError.badRequest("--issuer CA is required") }
            var p = Profile(label: selector.label, issuer: issuer)
            try settings.apply(to: &p)
            let s = try store.open()
            try s.saveProfile(p, replace: false)
            try show(s.profile(label: p.label)!, json: output.json)
        }
    }

    struct Update: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Change some settings of a profile.")
        @OptionGroup var store: StoreOptions
        @OptionGroup var selector: ProfileSelector
        @OptionGroup var settings: ProfileSettings
        @OptionGroup var output: JSONOption

        func run() throws {
            let s = try store.open()
            guard var p = try s.profile(label: selector.label) else {
                throw CAError.notFound("no profile \(selector.label ?? "(default)")")
            }
            try settings.apply(to: &p)
            try s.saveProfile(p, replace: true)
            try show(s.profile(label: p.label)!, json: output.json)
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List profiles.")
        @OptionGroup var store: StoreOptions
        @OptionGroup var output: JSONOption

        func run() throws {
            let profiles = try store.open().allProfiles()
            if output.json { try printJSON(profiles.map(profileJSON)); return }
            for p in profiles {
                print([p.displayName, "issuer=\(p.issuer)", "trust=\(p.trust.joined(separator: ","))",
                       "validity=\(p.validityDays)d"].joined(separator: "\t"))
            }
        }
    }

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show one profile.")
        @OptionGroup var store: StoreOptions
        @OptionGroup var selector: ProfileSelector
        @OptionGroup var output: JSONOption

        func run() throws {
            guard let p = try store.open().profile(label: selector.label) else {
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
            try store.open().deleteProfile(label: selector.label)
            print("deleted profile \(selector.label ?? "(default)")")
        }
    }
}

func profileJSON(_ p: Profile) -> [String: Any] {
    [
        "label": nullable(p.label), "default": p.label == nil, "issuer": p.issuer, "trust": p.trust,
        "cacerts": p.cacerts, "validity_days": p.validityDays, "key_types": p.keyTypes, "eku": p.eku,
        "reenroll_window_days": nullable(p.reenrollWindowDays), "revoke_on_reenroll": p.revokeOnReenroll,
        "serverkeygen": nullable(p.serverKeygen), "serverkeygen_encrypt": p.serverKeygenEncrypt,
        "csrattrs": p.csrAttrs, "enforce_csrattrs": p.enforceCsrAttrs,
    ]
}

func show(_ p: Profile, json: Bool) throws {
    if json { try printJSON(profileJSON(p)); return }
    let j = profileJSON(p)
    for key in j.keys.sorted() {
        let v = j[key]!
        let text: String
        if let a = v as? [String] { text = a.joined(separator: ",") }
        else if v is NSNull { text = "-" }
        else { text = "\(v)" }
        print("\(key): \(text)")
    }
}
