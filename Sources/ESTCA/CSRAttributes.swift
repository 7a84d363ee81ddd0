import ESTOpenSSL
import Foundation

/// What a profile asks devices to put in their CSRs (RFC 7030 §4.5, with the ASN.1 of
/// RFC 8951 §4), and the check of a CSR against it (`--enforce-csrattrs`).
///
/// Items: `challengePassword`, `serialNumber`, `macAddress`; a key type (`ec-p384`,
/// `rsa-3072`, `ed25519`, ...); a signature algorithm (`ecdsa-with-SHA384`,
/// `sha256WithRSAEncryption`, ...); `san`, `san-dns`, `san-ip`, `san-email`, `san-uri`
/// (an extensionRequest for subjectAltName); or any dotted OID.
public enum CSRAttributes {
    enum Item {
        case attribute(name: String, oid: String)
        case subjectAttribute(name: String, oid: String)
        case keyType(KeyType)
        case signatureAlgorithm(name: String, oid: String)
        case subjectAltName(kind: String?)
        case oid(String)
    }

    static let signatureAlgorithms: [String: String] = [
        "ecdsa-with-SHA256": "1.2.840.10045.4.3.2", "ecdsa-with-SHA384": "1.2.840.10045.4.3.3",
        "ecdsa-with-SHA512": "1.2.840.10045.4.3.4", "sha256WithRSAEncryption": "1.2.840.113549.1.1.11",
        "sha384WithRSAEncryption": "1.2.840.113549.1.1.12", "sha512WithRSAEncryption": "1.2.840.113549.1.1.13",
    ]
    static let curveOIDs: [KeyType: String] = [
        .ecP256: "1.2.840.10045.3.1.7", .ecP384: "1.3.132.0.34", .ecP521: "1.3.132.0.35",
    ]
    static let idEcPublicKey = "1.2.840.10045.2.1"
    static let rsaEncryption = "1.2.840.113549.1.1.1"
    static let idEd25519 = "1.3.101.112"
    static let extensionRequest = "1.2.840.113549.1.9.14"
    static let subjectAltNameOID = "2.5.29.17"

    static func parse(_ name: String) throws -> Item {
        switch name {
        case "challengePassword": return .attribute(name: name, oid: "1.2.840.113549.1.9.7")
        case "macAddress": return .attribute(name: name, oid: "1.3.6.1.1.1.1.22")
        case "serialNumber": return .subjectAttribute(name: name, oid: "2.5.4.5")
        case "san": return .subjectAltName(kind: nil)
        case "san-dns", "san-ip", "san-email", "san-uri": return .subjectAltName(kind: String(name.dropFirst(4)))
        default:
            if let k = KeyType(rawValue: name) { return .keyType(k) }
            if let oid = signatureAlgorithms[name] { return .signatureAlgorithm(name: name, oid: oid) }
            if ProfileValidation.isOID(name) { return .oid(name) }
            throw CAError.badRequest("unknown csrattrs item '\(name)' (use challengePassword, serialNumber, macAddress, "
                + "a key type, a signature algorithm such as ecdsa-with-SHA384, san, san-dns, san-ip, san-email, san-uri, or an OID)")
        }
    }

    public static func validate(_ items: [String]) throws { for i in items { _ = try parse(i) } }

    /// The DER CsrAttrs for `items`; nil when there are none (then csrattrs answers 204).
    public static func encode(_ items: [String]) throws -> Data? {
        guard !items.isEmpty else { return nil }
        var out: [Data] = []
        var wantsSAN = false
        for name in items {
            switch try parse(name) {
            case .attribute(_, let oid), .subjectAttribute(_, let oid), .signatureAlgorithm(_, let oid), .oid(let oid):
                out.append(try DER.oid(oid))
            case .keyType(let k):
                switch k {
                case .ecP256, .ecP384, .ecP521:
                    // RFC 7030 §4.5.2: id-ecPublicKey with the curve as the attribute's value.
                    out.append(DER.sequence([try DER.oid(idEcPublicKey), DER.set([try DER.oid(curveOIDs[k]!)])]))
                case .rsa2048, .rsa3072, .rsa4096:
                    let bits = Int(k.rawValue.dropFirst(4))!
                    out.append(DER.sequence([try DER.oid(rsaEncryption), DER.set([DER.integer(bits)])]))
                case .ed25519:
                    out.append(try DER.oid(idEd25519))
                }
            case .subjectAltName:
                wantsSAN = true
            }
        }
        if wantsSAN {
            out.append(DER.sequence([try DER.oid(extensionRequest), DER.set([try DER.oid(subjectAltNameOID)])]))
        }
        return DER.sequence(out)
    }

    /// Throws 400 naming the first item `csr` does not satisfy. `checkKey` is false for
    /// serverkeygen, where the server chooses the key and the CSR's key is ignored.
    public static func enforce(_ items: [String], on csr: CertificateSigningRequest, checkKey: Bool) throws {
        let attributes = Set(csr.attributeOIDs)
        let subject = Set(csr.subject.attributeOIDs)
        let extensions = Set(csr.requestedExtensions.map(\.oid))
        for name in items {
            let missing: Bool
            switch try parse(name) {
            case .attribute(_, let oid): missing = !attributes.contains(oid)
            case .subjectAttribute(_, let oid): missing = !subject.contains(oid) && !attributes.contains(oid)
            case .oid(let oid): missing = !attributes.contains(oid) && !subject.contains(oid) && !extensions.contains(oid)
            case .subjectAltName(let kind):
                missing = kind.map { !csr.subjectAltNameKinds.contains($0) } ?? (csr.subjectAltNameDER == nil)
            case .keyType(let k):
                guard checkKey else { continue }
                missing = csr.publicKey?.algorithm.keyType != k
                if missing { throw CAError.badRequest("CSR key must be \(k.rawValue) (csrattrs)") }
            case .signatureAlgorithm(let n, let oid):
                guard checkKey else { continue }
                if csr.signatureAlgorithmOID != oid { throw CAError.badRequest("CSR must be signed with \(n) (csrattrs)") }
                missing = false
            }
            if missing { throw CAError.badRequest("CSR lacks \(name), required by this profile (csrattrs)") }
        }
    }
}
