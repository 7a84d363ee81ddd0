internal import COpenSSL

/// An X509_NAME decoded from DER, owned and freed here, and only read after that: a Name
/// d2i_X509_NAME made holds its canonical form already (x_name.c), so X509_NAME_cmp,
/// i2d_X509_NAME and X509_NAME_dup write nothing into it and threads may share it.
final class DecodedName: @unchecked Sendable {
    let name: OpaquePointer

    init(_ name: OpaquePointer) { self.name = name }

    deinit { X509_NAME_free(name) }
}
