import ESTOpenSSL

/// Checks a profile's settings before it is stored, so that policy never meets a
/// value it cannot interpret.
enum ProfileValidation {
    static let ekuNames: Set<String> = [
        "clientAuth", "serverAuth", "codeSigning", "emailProtection", "timeStamping", "OCSPSigning",
        "ipsecIKE", "msSmartcardLogin",
    ]

    static func check(_ p: Profile) throws {
        for t in p.keyTypes where KeyType(rawValue: t) == nil && t != "rsa" && t != "ec" {
            throw CAError.badRequest("unknown key type '\(t)' (use \(KeyType.names), rsa or ec)")
        }
        for e in p.eku where !ekuNames.contains(e) && !isOID(e) {
            throw CAError.badRequest("unknown extended key usage '\(e)' (use \(ekuNames.sorted().joined(separator: ",")) or an OID)")
        }
        guard p.validityDays > 0, p.validityDays <= 36500 else {
            throw CAError.badRequest("validity must be 1-36500 days")
        }
        if let w = p.reenrollWindowDays, w < 0 { throw CAError.badRequest("re-enrollment window must be >= 0 days") }
        try CSRAttributes.validate(p.csrAttrs)
        if let k = p.serverKeygen, KeyType(rawValue: k) == nil {
            throw CAError.badRequest("unknown server key type '\(k)' (use \(KeyType.names))")
        }
    }

    static func isOID(_ s: String) -> Bool {
        let parts = s.split(separator: ".", omittingEmptySubsequences: false)
        return parts.count >= 2 && parts.allSatisfy { !$0.isEmpty && $0.allSatisfy(\.isNumber) }
    }
}
