import ESTCore
import ESTOpenSSL
import Foundation

extension IdentityPolicy {
    /// The profile's own limits, checked when it is saved.
    func validate() throws {
        guard (1...1000).contains(maxSANs) else { throw CAError.badRequest("--max-sans must be 1-1000") }
        guard (64...65536).contains(maxSubjectBytes) else { throw CAError.badRequest("--max-subject-bytes must be 64-65536") }
        if let n = bootstrapUses, n < 1 { throw CAError.badRequest("--bootstrap-uses must be at least 1 (or none)") }
        if let option = invalidPatterns.first {
            throw CAError.badRequest("\(option) is not a valid regular expression")
        }
        // A pattern matches the exact code points of the name that gets issued; a
        // decomposed literal in it could never match a (NFC) name.
        for (option, pattern) in [("--cn-pattern", cnPattern), ("--dns-pattern", dnsPattern)] {
            if let pattern, !ByteName.isNFC(pattern) { throw CAError.badRequest(ByteName.notNFC(option)) }
        }
    }

    /// The pattern options whose stored value is not a valid regular expression. `profile
    /// create` and `update` refuse them; a store written otherwise (an older version, SQL by
    /// hand) may still hold one, which `doctor` reports and requests are refused for.
    public var invalidPatterns: [String] {
        [("--cn-pattern", cnPattern), ("--dns-pattern", dnsPattern)].compactMap { option, pattern in
            guard let pattern, (try? NSRegularExpression(pattern: pattern)) == nil else { return nil }
            return option
        }
    }

    /// Checks the identity a CSR asks for; `subjectAltName` is its strictly parsed SAN.
    /// Every refusal of the request is 400 and names the fault; a pattern that does not
    /// compile is the operator's fault, never "no match": 500, its reason logged.
    func check(subject: DistinguishedName, subjectAltName: [GeneralName]) throws {
        let cnRegex = try Self.compiled(cnPattern, option: "--cn-pattern")
        let dnsRegex = try Self.compiled(dnsPattern, option: "--dns-pattern")
        guard subject.der.count <= maxSubjectBytes else {
            throw CAError.badRequest("CSR subject is \(subject.der.count) bytes (this profile allows \(maxSubjectBytes))")
        }
        guard subjectAltName.count <= maxSANs else {
            throw CAError.badRequest("CSR has \(subjectAltName.count) subjectAltNames (this profile allows \(maxSANs))")
        }
        if let refused = subjectAltName.first(where: { !sanKinds.contains($0.kind) }) {
            throw CAError.badRequest("CSR subjectAltName \(IdentityPolicy.name(of: refused.kind)) is not allowed by this profile "
                + "(allowed: \(sanKinds.map(IdentityPolicy.name).joined(separator: ",")))")
        }
        for case .dnsName(let name) in subjectAltName {
            if let fault = Self.dnsNameLengthFault(name) { throw CAError.badRequest("CSR dNSName \(fault)") }
        }
        if let cnRegex {
            // Every CN: relying parties differ on which one they read.
            let cns = subject.values(of: .commonName)
            guard !cns.isEmpty, cns.allSatisfy({ Self.wholeMatch(cnRegex, $0) }) else {
                throw CAError.badRequest("CSR commonName does not match this profile's pattern")
            }
        }
        if let dnsRegex {
            for case .dnsName(let name) in subjectAltName where !Self.wholeMatch(dnsRegex, name) {
                throw CAError.badRequest("CSR dNSName \(name) does not match this profile's pattern")
            }
        }
    }

    /// Why a dNSName is outside the preferred name syntax's lengths (RFC 5280 §4.2.1.6, RFC 1034
    /// §3.5 as modified by RFC 1123 §2.1): at most 253 octets, labels of 1-63 octets; nil when
    /// within them. Only lengths: wildcards ("*.") and underscores are profiles' business.
    /// The name is IA5 (ASCII), so characters are octets; the reason shows at most its start.
    static func dnsNameLengthFault(_ name: String) -> String? {
        let octets = name.utf8
        let shown = octets.count > 64 ? String(decoding: octets.prefix(32), as: UTF8.self) + "..." : name
        guard octets.count <= 253 else { return "\(shown) is \(octets.count) octets (at most 253)" }
        for label in octets.split(separator: UInt8(ascii: "."), omittingEmptySubsequences: false) {
            if label.isEmpty { return "\(shown) has an empty label" }
            if label.count > 63 { return "\(shown) has a label of \(label.count) octets (at most 63)" }
        }
        return nil
    }

    /// The first enrollment's binding of the CSR's subject to the bootstrap certificate's.
    func checkBinding(subject: DistinguishedName, client: Certificate) throws {
        switch binding {
        case .none:
            return
        case .cn:
            // Every CN of the CSR (relying parties differ on which one they read).
            let cns = subject.values(of: .commonName)
            guard cns.allSatisfy(ByteName.isNFC) else { throw CAError.badRequest(ByteName.notNFC("CSR commonName")) }
            // Bytes: the name issued must be the very name the bootstrap certificate holds.
            guard let mine = client.subject.commonName, !cns.isEmpty, cns.allSatisfy({ ByteName.same($0, mine) }) else {
                throw CAError.forbidden("CSR commonName must be the client certificate's (--bind-identity cn)")
            }
        case .serial:
            let serials = subject.values(of: .serialNumber)
            guard serials.allSatisfy(ByteName.isNFC) else { throw CAError.badRequest(ByteName.notNFC("CSR serialNumber")) }
            guard let mine = client.subject.value(of: .serialNumber), !serials.isEmpty,
                  serials.allSatisfy({ ByteName.same($0, mine) }) else {
                throw CAError.forbidden("CSR serialNumber must be the client certificate's (--bind-identity serial)")
            }
        }
    }

    /// The compiled pattern, nil for none; one that does not compile is the operator's fault.
    static func compiled(_ pattern: String?, option: String) throws -> NSRegularExpression? {
        guard let pattern else { return nil }
        guard let regex = try? NSRegularExpression(pattern: pattern) else {
            throw CAError.internalFailure("profile misconfigured: its \(option) is not a valid regular expression (see estfcgi doctor)")
        }
        return regex
    }

    /// Whether `regex` matches all of `text`.
    static func wholeMatch(_ regex: NSRegularExpression, _ text: String) -> Bool {
        let range = NSRange(text.startIndex..., in: text)
        return regex.firstMatch(in: text, options: [.anchored], range: range)?.range == range
    }
}
