import ESTCore
import ESTOpenSSL
import Foundation

extension IdentityPolicy {
    /// The profile's own limits, checked when it is saved.
    func validate() throws {
        guard (1...1000).contains(maxSANs) else { throw CAError.badRequest("--max-sans must be 1-1000") }
        guard (64...65536).contains(maxSubjectBytes) else { throw CAError.badRequest("--max-subject-bytes must be 64-65536") }
        if let n = bootstrapUses, n < 1 { throw CAError.badRequest("--bootstrap-uses must be at least 1 (or none)") }
        for (option, pattern) in [("--cn-pattern", cnPattern), ("--dns-pattern", dnsPattern)] {
            if let pattern, (try? NSRegularExpression(pattern: pattern)) == nil {
                throw CAError.badRequest("\(option) is not a valid regular expression")
            }
            // A pattern matches the exact code points of the name that gets issued; a
            // decomposed literal in it could never match a (NFC) name.
            if let pattern, !ByteName.isNFC(pattern) { throw CAError.badRequest(ByteName.notNFC(option)) }
        }
    }

    /// Checks the identity a CSR asks for; `subjectAltName` is its strictly parsed SAN.
    /// Every refusal is 400 and names the fault.
    func check(subject: DistinguishedName, subjectAltName: [GeneralName]) throws {
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
        if let cnPattern {
            // Every CN: relying parties differ on which one they read.
            let cns = subject.values(of: .commonName)
            guard !cns.isEmpty, cns.allSatisfy({ Self.wholeMatch(cnPattern, $0) }) else {
                throw CAError.badRequest("CSR commonName does not match this profile's pattern")
            }
        }
        if let dnsPattern {
            for case .dnsName(let name) in subjectAltName where !Self.wholeMatch(dnsPattern, name) {
                throw CAError.badRequest("CSR dNSName \(name) does not match this profile's pattern")
            }
        }
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

    static func wholeMatch(_ pattern: String, _ text: String) -> Bool {
        guard let regex = try? NSRegularExpression(pattern: pattern) else { return false }
        let range = NSRange(text.startIndex..., in: text)
        return regex.firstMatch(in: text, options: [.anchored], range: range)?.range == range
    }
}
