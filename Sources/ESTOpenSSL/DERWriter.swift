import Foundation

/// DER (X.690) written front to back into one buffer: a constructed element's length is
/// filled in when its content is complete, so no element is built, copied and copied
/// again into its parent (what `DER.tlv` does, which costs more than it writes).
struct DERWriter {
    private(set) var bytes: [UInt8] = []

    init(capacity: Int = 1024) { bytes.reserveCapacity(capacity) }

    /// An element whose content `body` writes.
    mutating func element(_ tag: UInt8, _ body: (inout DERWriter) throws -> Void) rethrows {
        bytes.append(tag)
        let lengthAt = bytes.count
        bytes.append(0)
        try body(&self)
        let n = bytes.count - lengthAt - 1
        if n < 0x80 {
            bytes[lengthAt] = UInt8(n)
        } else {
            // X.690 §8.1.3.5: long form, the fewest octets.
            var length: [UInt8] = []
            var v = n
            while v > 0 { length.insert(UInt8(v & 0xff), at: 0); v >>= 8 }
            bytes[lengthAt] = 0x80 | UInt8(length.count)
            bytes.insert(contentsOf: length, at: lengthAt + 1)
        }
    }

    /// An element with `content` as it is.
    mutating func element(_ tag: UInt8, content: Data) {
        element(tag) { $0.append(content) }
    }

    mutating func element(_ tag: UInt8, content: [UInt8]) {
        element(tag) { $0.bytes.append(contentsOf: content) }
    }

    /// Bytes that are already DER (a Name, a SubjectPublicKeyInfo, an extension value),
    /// copied from Data's storage at once (appending Data as a Sequence reads it a byte at a time).
    mutating func append(_ encoded: Data) {
        encoded.withUnsafeBytes { bytes.append(contentsOf: $0) }
    }

    mutating func append(_ encoded: [UInt8]) { bytes.append(contentsOf: encoded) }
}
