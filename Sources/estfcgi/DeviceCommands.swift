import ArgumentParser
import ESTCA
import ESTCore
import Foundation

struct DeviceCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "device", abstract: "The device registry: register, list, show, disable, enable and remove devices.",
        subcommands: [Add.self, List.self, Show.self, Disable.self, Enable.self, Remove.self])

    struct Add: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Register devices under a profile (for --registration preregistered), by name or from a file.")
        @OptionGroup var store: StoreOptions
        @OptionGroup var selector: ProfileSelector
        @Option(help: ArgumentHelp("A file of device IDs, one a line ('#' comments and blank lines skipped; '-' for stdin).", valueName: "FILE"))
        var from: String?
        @Argument(help: "Device IDs: what the profile's --device-id reads from a CSR (its CN by default).") var ids: [String] = []
        @OptionGroup var output: JSONOption

        func run() throws {
            var names = ids
            if let from {
                let data = from == "-" ? FileHandle.standardInput.readDataToEndOfFile() : try readFile(from, what: "--from")
                guard let text = String(data: data, encoding: .utf8) else { throw CAError.badRequest("--from \(from) is not UTF-8") }
                // Lines end at LF or CRLF (one Character in Swift); any other control character
                // is the line's fault.
                for (n, line) in text.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r\n" })
                    .enumerated() {
                    let name = line.trimmingCharacters(in: .whitespaces)
                    guard !name.isEmpty, !name.hasPrefix("#") else { continue }
                    do { try Device.validate(name: name) } catch {
                        throw CAError.badRequest("--from \(from) line \(n + 1): \((error as? CAError)?.reason ?? "\(error)"); nothing was added")
                    }
                    names.append(name)
                }
            }
            // Bytes: a Set<String> would merge an NFD spelling into the NFC one unchecked.
            var seen = Set<ByteName>()
            names = names.filter { seen.insert(ByteName($0)).inserted }
            let result = try store.administration().addDevices(names, profile: selector.label)
            let profile = selector.label ?? "(default)"
            if output.json {
                try printJSON(["profile": nullable(selector.label), "added": result.added, "already_registered": result.present,
                               "other_profile": result.conflicting.map { ["device": $0.name, "profile": nullable($0.profile)] }])
            } else {
                print("added \(result.added.count) device(s) to profile \(profile); \(result.present.count) already registered there; "
                      + "\(result.conflicting.count) registered under another profile")
                for (name, other) in result.conflicting { print("not added: \(TextOutput.safe(name)) is registered under profile \(other ?? "(default)")") }
            }
            if !result.conflicting.isEmpty {
                throw CAError.badRequest("\(result.conflicting.count) device(s) are registered under another profile")
            }
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List registered devices.")
        @OptionGroup var store: StoreOptions
        @Option(name: [.customLong("profile"), .customLong("aps")], help: ArgumentHelp("Only this profile label.", valueName: "LABEL")) var profile: String?
        @Flag(name: .customLong("default"), help: "Only the default profile.") var onlyDefault = false
        @Option(help: "active or disabled.") var status: String?
        @OptionGroup var output: JSONOption

        func run() throws {
            let selection: CertificateFilter.ProfileSelection = onlyDefault ? .defaultProfile : profile.map { .label($0) } ?? .any
            var devices = try store.openStore().devices(profile: selection)
            if let status {
                guard let s = DeviceStatus(rawValue: status) else { throw CAError.badRequest("--status takes active or disabled") }
                devices = devices.filter { $0.status == s }
            }
            if output.json { try printJSON(devices.map(deviceJSON)); return }
            for d in devices {
                print([TextOutput.safe(d.name), d.profileName, d.status.rawValue, d.source.rawValue, d.createdAt, d.kind.rawValue]
                        .joined(separator: "\t"))
            }
        }
    }

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show a device and its certificates.")
        @OptionGroup var store: StoreOptions
        @Argument(help: "The device ID.") var id: String
        @OptionGroup var kind: DeviceKindOption
        @OptionGroup var output: JSONOption

        func run() throws {
            let s = try store.openStore()
            let d = try s.device(named: id, kind: try kind.parsed())
            let now = Date()
            let certs = try s.issuedCertificates(matching: CertificateFilter(device: d.key), now: now)
            var j = deviceJSON(d)
            j["certificates"] = certs.map { certJSON($0, pem: false, now: now) }
            if output.json { try printJSON(j); return }
            printFields(j, except: ["certificates"])
            print("certificates: \(certs.count)")
            for c in certs {
                print(["", c.serial, c.effectiveStatus(at: now).rawValue, c.notAfter, TextOutput.safe(c.subject)].joined(separator: "\t"))
            }
        }
    }

    struct Disable: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Refuse a device (its kind and ID) everywhere: enrollment, re-enrollment and serverkeygen, under every profile.")
        @OptionGroup var store: StoreOptions
        @Argument(help: "The device ID.") var id: String
        @OptionGroup var kind: DeviceKindOption
        @Option(help: "Why (kept with the device and in the audit).") var reason = ""

        func run() throws {
            try store.administration().setStatus(.disabled, ofDevice: id, kind: try kind.parsed(), reason: reason)
            print("disabled device \(TextOutput.safe(id))")
        }
    }

    struct Remove: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Forget a device (it may be registered again, under any profile); its certificates stay valid.")
        @OptionGroup var store: StoreOptions
        @Argument(help: "The device ID.") var id: String
        @OptionGroup var kind: DeviceKindOption

        func run() throws {
            try store.administration().removeDevice(named: id, kind: try kind.parsed())
            print("removed device \(TextOutput.safe(id))")
        }
    }

    struct Enable: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Lift a disable.")
        @OptionGroup var store: StoreOptions
        @Argument(help: "The device ID.") var id: String
        @OptionGroup var kind: DeviceKindOption

        func run() throws {
            try store.administration().setStatus(.active, ofDevice: id, kind: try kind.parsed(), reason: "")
            print("enabled device \(TextOutput.safe(id))")
        }
    }
}

func deviceJSON(_ d: Device) -> [String: Any] {
    ["device": d.name, "kind": d.kind.rawValue, "profile": nullable(d.profile), "status": d.status.rawValue, "source": d.source.rawValue,
     "created_at": d.createdAt, "disabled_at": nullable(d.disabledAt), "disabled_reason": nullable(d.disabledReason)]
}
