import ArgumentParser
import ESTCA
import ESTOpenSSL

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
        if let k = list(keyTypes) { p.keyTypes = try Profile.keyTypes(parsing: k) }
        if let e = list(eku) { p.eku = try Profile.eku(parsing: e) }
        if let w = reenrollWindowDays {
            guard w == "none" || Int(w) != nil else { throw CAError.badRequest("--reenroll-window-days takes a number of days or 'none'") }
            p.reenrollWindowDays = Int(w)
        }
        if let revokeOnReenroll { p.revokeOnReenroll = revokeOnReenroll }
        if let serverkeygen { p.serverKeygen = try Profile.serverKeygen(parsing: serverkeygen) }
        if let c = list(cacerts) { p.cacerts = c }
        if let serverkeygenEncrypt { p.serverKeygenEncrypt = serverkeygenEncrypt }
        if let c = list(csrattrs) { p.csrAttrs = try Profile.csrAttrs(parsing: c) }
        if let enforceCsrattrs { p.enforceCsrAttrs = enforceCsrattrs }
    }
}
