internal import COpenSSL
import Foundation

/// An X509_EXTENSION whose extnValue is DER encoded here (a CRL's authorityKeyIdentifier,
/// a subjectAltName to print), lent to `body` and freed after it.
func withRawExtension<T>(nid: Int32, _ der: Data, critical: Bool = false, _ body: (OpaquePointer) throws -> T) throws -> T {
    guard let os = ASN1_OCTET_STRING_new() else { throw OpenSSLError("ASN1_OCTET_STRING_new") }
    defer { ASN1_OCTET_STRING_free(os) }
    let bytes = [UInt8](der)
    guard ASN1_OCTET_STRING_set(os, bytes, Int32(bytes.count)) == 1,
          let ext = X509_EXTENSION_create_by_NID(nil, nid, critical ? 1 : 0, os) else {
        throw OpenSSLError("raw extension")
    }
    defer { X509_EXTENSION_free(ext) }
    return try body(ext)
}
