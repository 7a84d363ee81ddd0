internal import COpenSSL
import Foundation

/// An X.509 CRL (RFC 5280 §5). Immutable; its fields are read once, when it is parsed.
public final class CertificateRevocationList: @unchecked Sendable {
    private let crl: OpaquePointer
    public let der: Data
    public let issuer: DistinguishedName
    /// cRLNumber (§5.2.3), nil when absent.
    public let number: Int64?
    public let thisUpdate: Date
    public let nextUpdate: Date?
    /// The revokedCertificates entries (§5.1.2.6) in the CRL's order; serials without
    /// leading zero octets, reasonCode as written (nil when absent).
    public let entries: [RevokedEntry]

    /// Parses a DER CRL; it must fill `der` exactly.
    public init(der: Data) throws {
        guard let c = DERBridge.decode(der, free: { X509_CRL_free($0) }, { p, n in d2i_X509_CRL(nil, p, n) }) else {
            throw OpenSSLError("parse CRL", detail: "not a DER X.509 CRL")
        }
        crl = c
        self.der = der
        do {
            guard let name = X509_CRL_get_issuer(c) else { throw OpenSSLError("CRL issuer") }
            issuer = try DistinguishedName(reading: name)
            number = try Self.number(c)
            thisUpdate = try ASN1Time.date(X509_CRL_get0_lastUpdate(c))
            nextUpdate = try X509_CRL_get0_nextUpdate(c).map { try ASN1Time.date($0) }
            entries = try Self.entries(c)
            OpenSSLError.drainQueue()
        } catch {
            X509_CRL_free(c)
            throw error
        }
    }

    /// The first `X509 CRL` block of a PEM text.
    public convenience init(pem: String) throws {
        guard let der = PEM.blocks(in: pem, labels: ["X509 CRL"]).first else {
            throw OpenSSLError("parse CRL", detail: "no PEM X509 CRL block")
        }
        try self.init(der: der)
    }

    deinit { X509_CRL_free(crl) }

    public var pem: String { PEM.encode(der, label: "X509 CRL") }

    /// The revoked serials, in the CRL's order (see `entries`).
    public var revokedSerials: [Data] { entries.map(\.serial) }

    /// True when `issuer`'s key verifies this CRL's signature.
    public func isSigned(by issuer: Certificate) -> Bool {
        let ok = X509_CRL_verify(crl, issuer.publicKey.pkey) == 1
        OpenSSLError.drainQueue()
        return ok
    }

    // MARK: - reading

    private static func number(_ c: OpaquePointer) throws -> Int64? {
        var critical: Int32 = 0
        let raw = X509_CRL_get_ext_d2i(c, NID_crl_number, &critical, nil)
        guard let raw else {
            if critical == -1 { return nil }
            throw OpenSSLError("CRL cRLNumber", detail: critical == -2 ? "present twice" : "malformed")
        }
        let value = raw.assumingMemoryBound(to: ASN1_INTEGER.self)
        defer { ASN1_INTEGER_free(value) }
        var n: Int64 = 0
        guard ASN1_INTEGER_get_int64(&n, value) == 1, n >= 0 else {
            throw OpenSSLError("CRL cRLNumber", detail: "negative or beyond 64 bits")
        }
        return n
    }

    private static func entries(_ c: OpaquePointer) throws -> [RevokedEntry] {
        guard let stack = X509_CRL_get_REVOKED(c) else { return [] }
        var out: [RevokedEntry] = []
        for i in 0..<estfcgi_sk_X509_REVOKED_num(stack) {
            guard let revoked = estfcgi_sk_X509_REVOKED_value(stack, i),
                  let serial = X509_REVOKED_get0_serialNumber(revoked) else { throw OpenSSLError("CRL entry") }
            // A negative serial would read as its magnitude, another certificate's serial.
            guard serial.pointee.type == V_ASN1_INTEGER else {
                throw OpenSSLError("CRL entry", detail: "a negative serial")
            }
            out.append(RevokedEntry(serial: Data(asn1Bytes(serial).drop { $0 == 0 }),
                                    revokedAt: try ASN1Time.date(X509_REVOKED_get0_revocationDate(revoked)),
                                    reasonCode: try reason(revoked)))
        }
        return out
    }

    private static func reason(_ revoked: OpaquePointer) throws -> Int? {
        var critical: Int32 = 0
        let raw = X509_REVOKED_get_ext_d2i(revoked, NID_crl_reason, &critical, nil)
        guard let raw else {
            if critical == -1 { return nil }
            throw OpenSSLError("CRL reasonCode", detail: critical == -2 ? "present twice" : "malformed")
        }
        let value = raw.assumingMemoryBound(to: ASN1_ENUMERATED.self)
        defer { ASN1_ENUMERATED_free(value) }
        var n: Int64 = 0
        guard ASN1_ENUMERATED_get_int64(&n, value) == 1, (0...Int64(Int32.max)).contains(n) else {
            throw OpenSSLError("CRL reasonCode", detail: "out of range")
        }
        return Int(n)
    }
}
