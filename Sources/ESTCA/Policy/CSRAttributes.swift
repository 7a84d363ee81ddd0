import ESTOpenSSL
import Foundation

/// What a profile asks devices to put in their CSRs (RFC 7030 §4.5, ASN.1 of RFC 8951 §4),
/// and the check of a CSR against it (`--enforce-csrattrs`).
public enum CSRAttributes {
    /// The DER CsrAttrs for `items`; nil when there are none (then csrattrs answers 204).
    /// Extension requests (san*, ext:*) merge into one extensionRequest attribute, placed
    /// where the first `ext:` item stands, or last when there is none.
    public static func encode(_ items: [CSRAttributeItem]) -> Data? {
        guard !items.isEmpty else { return nil }
        var out: [Data] = []
        var requested: [OID] = []
        var requestSlot: Int? = nil
        for item in items {
            switch item {
            case .challengePassword: out.append(OID.challengePassword.der)
            case .serialNumber: out.append(OID.serialNumber.der)
            case .macAddress: out.append(OID.macAddress.der)
            case .signatureAlgorithm(let s): out.append(s.oid.der)
            case .oid(let oid): out.append(oid.der)
            case .keyType(let k):
                // RFC 7030 §4.5.2: the key algorithm as an attribute whose value is the curve
                // (EC) or the modulus size (RSA); Ed25519 has no parameters (RFC 8410 §3).
                if let curve = k.curve {
                    out.append(DER.sequence([OID.idEcPublicKey.der, DER.set([curve.der])]))
                } else if let bits = k.rsaBits {
                    out.append(DER.sequence([OID.rsaEncryption.der, DER.set([DER.integer(bits)])]))
                } else {
                    out.append(OID.idEd25519.der)
                }
            case .subjectAltName:
                if !requested.contains(.subjectAltName) { requested.append(.subjectAltName) }
            case .extensionRequest(let oid):
                if requestSlot == nil { requestSlot = out.count }
                if !requested.contains(oid) { requested.append(oid) }
            }
        }
        if !requested.isEmpty {
            let attribute = DER.sequence([OID.extensionRequest.der, DER.set(requested.map(\.der))])
            out.insert(attribute, at: requestSlot ?? out.count)
        }
        return DER.sequence(out)
    }

    /// Throws 400 naming the first item `csr` does not satisfy. `checkKey` is false for
    /// serverkeygen, where the server chooses the key and the CSR's key is ignored.
    public static func enforce(_ items: [CSRAttributeItem], on csr: CertificateSigningRequest, checkKey: Bool) throws {
        let attributes = Set(csr.attributes.map(\.oid))
        let subject = Set(csr.subject.attributeOIDs)
        let extensions = Set(csr.requestedExtensions.map(\.oid))
        for item in items {
            let missing: Bool
            switch item {
            case .challengePassword: missing = !attributes.contains(.challengePassword)
            case .macAddress: missing = !attributes.contains(.macAddress)
            case .serialNumber: missing = !subject.contains(.serialNumber) && !attributes.contains(.serialNumber)
            case .oid(let oid): missing = !attributes.contains(oid) && !subject.contains(oid) && !extensions.contains(oid)
            case .extensionRequest(let oid): missing = !extensions.contains(oid) && !attributes.contains(oid)
            case .subjectAltName(let kind):
                missing = kind.map { !csr.subjectAltNameKinds.contains($0) } ?? (csr.subjectAltNameDER == nil)
            case .keyType(let k):
                guard checkKey else { continue }
                if csr.publicKey.algorithm.keyType != k { throw CAError.badRequest("CSR key must be \(k.rawValue) (csrattrs)") }
                missing = false
            case .signatureAlgorithm(let s):
                guard checkKey else { continue }
                if csr.signatureAlgorithm != s.oid { throw CAError.badRequest("CSR must be signed with \(s.rawValue) (csrattrs)") }
                missing = false
            }
            if missing { throw CAError.badRequest("CSR lacks \(item), required by this profile (csrattrs)") }
        }
    }
}
