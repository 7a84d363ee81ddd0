import ArgumentParser

/// `--profile LABEL` (also spelled `--aps`, Lamassu's name) or `--default`: which
/// profile a command is about.
struct ProfileSelector: ParsableArguments {
    @Option(name: [.customLong("profile"), .customLong("aps")],
            help: ArgumentHelp("Profile label (the LABEL in /.well-known/est/LABEL/...; --aps is the same).", valueName: "LABEL"))
    var profile: String?
    @Flag(name: .customLong("default"), help: "The default profile (/.well-known/est/...).") var isDefault = false

    func validate() throws {
        guard (profile != nil) != isDefault else { throw ValidationError("give exactly one of --profile LABEL or --default") }
    }

    var label: String? { profile }
}
