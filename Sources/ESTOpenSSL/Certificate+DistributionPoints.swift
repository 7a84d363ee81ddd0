internal import COpenSSL
import Foundation

extension Certificate {
    /// The uniformResourceIdentifiers of the cRLDistributionPoints extension's fullNames
    /// (RFC 5280 §4.2.1.13), in order; empty when it is absent or does not parse.
    /// CRLDistributionPoints ::= SEQUENCE OF SEQUENCE { distributionPoint [0] { fullName [0] GeneralNames } ... }
    public var crlDistributionPointURIs: [String] {
        let index = X509_get_ext_by_NID(x509, NID_crl_distribution_points, -1)
        guard index >= 0, let ext = X509_get_ext(x509, index), let data = X509_EXTENSION_get_data(ext),
              let outer = DER.elements(asn1Bytes(UnsafePointer(data))), outer.count == 1, outer[0].tag == 0x30,
              let points = DER.elements(outer[0].content) else { return [] }
        var uris: [String] = []
        for point in points where point.tag == 0x30 {
            guard let fields = DER.elements(point.content), let name = fields.first(where: { $0.tag == 0xa0 }),
                  let forms = DER.elements(name.content), let full = forms.first(where: { $0.tag == 0xa0 }),
                  let generalNames = DER.elements(full.content) else { continue }
            // [6] IMPLICIT IA5String: uniformResourceIdentifier.
            uris += generalNames.filter { $0.tag == 0x86 }.compactMap { String(data: $0.content, encoding: .ascii) }
        }
        return uris
    }
}
