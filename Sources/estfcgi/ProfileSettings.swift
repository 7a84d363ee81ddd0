import ArgumentParser
import ESTCA
import ESTCore
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

    @Option(help: ArgumentHelp("subjectAltName kinds a CSR may carry: dns,ip,uri,email,othername,dirname,rid (default: dns,ip,uri,email).", valueName: "LIST")) var sanKinds: String?
    @Option(help: ArgumentHelp("At most this many subjectAltNames (default 100).", valueName: "N")) var maxSans: Int?
    @Option(help: ArgumentHelp("At most this many DER bytes of subject (default 2048).", valueName: "N")) var maxSubjectBytes: Int?
    @Option(help: ArgumentHelp("On first enrollment the CSR's cn or serial(Number) must be the client certificate's; none (default).", valueName: "cn|serial|none")) var bindIdentity: String?
    @Option(help: ArgumentHelp("A regular expression the whole CN must match; '' for any.", valueName: "REGEX")) var cnPattern: String?
    @Option(help: ArgumentHelp("A regular expression every dNSName must match as a whole; '' for any.", valueName: "REGEX")) var dnsPattern: String?
    @Option(help: ArgumentHelp("How many certificates one bootstrap certificate may obtain under this profile; 'none' (default): no limit.", valueName: "N")) var bootstrapUses: String?

    @Option(help: ArgumentHelp("What authenticates a first enrollment: the TLS client certificate, HTTP authentication by the web server (REMOTE_USER, a per-device password), or both (default cert).", valueName: ClientAuthentication.names)) var auth: String?
    @Option(help: ArgumentHelp("Device registry: off (default), jit (record devices on first enrollment) or preregistered (only devices added with `estfcgi device add`).", valueName: DeviceRegistration.names)) var registration: String?
    @Option(help: ArgumentHelp("Which CSR field names the device: cn (default), san-uri or serial (the serialNumber attribute).", valueName: DeviceIdentifier.names)) var deviceId: String?
    @Flag(inversion: .prefixedNo, help: "A registered device with a valid certificate may simpleenroll again; its certificates are revoked (superseded).") var replaceableEnrollment: Bool?
    @Option(help: ArgumentHelp("auto (default) or manual: first enrollments wait for `estfcgi request approve` (202 + Retry-After meanwhile).", valueName: ApprovalMode.names)) var approval: String?
    @Option(help: ArgumentHelp("The Retry-After of a 202 for a request awaiting approval (default 60).", valueName: "SECONDS")) var approvalRetryAfter: Int?
    @Option(help: ArgumentHelp("CRL distribution point URL put in issued certificates ({ca}: the issuing CA's name, e.g. https://HOST/.well-known/est/crl/{ca}); '' for none.", valueName: "URL")) var crlUrl: String?
    @Option(help: ArgumentHelp("OCSP responder URL put in issued certificates (authorityInfoAccess id-ad-ocsp; http or https, e.g. http://HOST/ocsp); '' for none.", valueName: "URL")) var ocspUrl: String?

    // The authorization hook (issue 25, docs/integrations.md).
    @Option(help: ArgumentHelp("Before signing, POST the request as JSON to this http(s) URL, which answers {\"allow\": true} or {\"allow\": false, \"reason\": \"...\"}; anything else, or no answer in time, is a 503.", valueName: "URL")) var authorizeUrl: String?
    @Option(help: ArgumentHelp("Before signing, run this program (absolute path, no shell) with the request as JSON on stdin: exit 0 allows, exit 1 denies (the first line of its output is the reason), anything else is a 503.", valueName: "PATH")) var authorizeCommand: String?
    @Option(help: ArgumentHelp("How long the authorization hook may take (default 2000, at most 60000).", valueName: "MS")) var authorizeTimeoutMs: Int?
    @Option(help: ArgumentHelp("PEM file of the CAs that verify an https --authorize-url (default: the system's); '' for the default.", valueName: "FILE")) var authorizeCa: String?
    @Option(help: ArgumentHelp("PEM client certificate for mutual TLS to --authorize-url; '' for none.", valueName: "FILE")) var authorizeClientCert: String?
    @Option(help: ArgumentHelp("PEM file of the unencrypted key of --authorize-client-cert; '' for none.", valueName: "FILE")) var authorizeClientKey: String?
    @Flag(help: "Remove the profile's authorization hook.") var noAuthorize = false

    func apply(to p: inout Profile) throws {
        if let auth { p.auth = try Profile.auth(parsing: auth) }
        if let registration { p.registration = try Profile.registration(parsing: registration) }
        if let deviceId { p.deviceID = try Profile.deviceID(parsing: deviceId) }
        if let replaceableEnrollment { p.replaceableEnrollment = replaceableEnrollment }
        if let approval { p.approval = try Profile.approval(parsing: approval) }
        if let approvalRetryAfter { p.approvalRetryAfter = approvalRetryAfter }
        if let crlUrl { p.crlURL = crlUrl.isEmpty ? nil : crlUrl }
        if let ocspUrl { p.ocspURL = ocspUrl.isEmpty ? nil : ocspUrl }
        if let k = list(sanKinds) { p.identity.sanKinds = try IdentityPolicy.sanKinds(parsing: k) }
        if let maxSans { p.identity.maxSANs = maxSans }
        if let maxSubjectBytes { p.identity.maxSubjectBytes = maxSubjectBytes }
        if let b = bindIdentity {
            guard let binding = IdentityBinding(rawValue: b) else { throw CAError.badRequest("--bind-identity takes cn, serial or none") }
            p.identity.binding = binding
        }
        if let cnPattern { p.identity.cnPattern = cnPattern.isEmpty ? nil : cnPattern }
        if let dnsPattern { p.identity.dnsPattern = dnsPattern.isEmpty ? nil : dnsPattern }
        if let u = bootstrapUses {
            guard u == "none" || Int(u) != nil else { throw CAError.badRequest("--bootstrap-uses takes a number or 'none'") }
            p.identity.bootstrapUses = Int(u)
        }
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
        try applyAuthorization(to: &p)
    }

    /// One of --authorize-url and --authorize-command sets the hook (replacing the other);
    /// the other --authorize-* options change the hook the profile has; --no-authorize removes it.
    func applyAuthorization(to p: inout Profile) throws {
        let tuning = authorizeTimeoutMs != nil || authorizeCa != nil || authorizeClientCert != nil || authorizeClientKey != nil
        if noAuthorize {
            guard authorizeUrl == nil, authorizeCommand == nil, !tuning else {
                throw CAError.badRequest("--no-authorize takes no other --authorize-* option")
            }
            p.authorize = nil
            return
        }
        guard authorizeUrl == nil || authorizeCommand == nil else {
            throw CAError.badRequest("give one of --authorize-url and --authorize-command")
        }
        var hook = p.authorize
        if let authorizeUrl {
            if hook?.url == nil { hook = AuthorizationHook(target: .url(authorizeUrl)) }
            hook?.target = .url(authorizeUrl)
        }
        if let authorizeCommand {
            hook = AuthorizationHook(target: .command(authorizeCommand))
            hook?.timeoutMilliseconds = p.authorize?.timeoutMilliseconds ?? AuthorizationHook.defaultTimeoutMilliseconds
        }
        guard var hook else {
            if tuning { throw CAError.badRequest("--authorize-timeout-ms, --authorize-ca and --authorize-client-* need --authorize-url or --authorize-command") }
            return
        }
        if let authorizeTimeoutMs { hook.timeoutMilliseconds = authorizeTimeoutMs }
        if let authorizeCa { hook.caFile = authorizeCa.isEmpty ? nil : authorizeCa }
        if let authorizeClientCert { hook.clientCertificateFile = authorizeClientCert.isEmpty ? nil : authorizeClientCert }
        if let authorizeClientKey { hook.clientKeyFile = authorizeClientKey.isEmpty ? nil : authorizeClientKey }
        p.authorize = hook
    }
}
