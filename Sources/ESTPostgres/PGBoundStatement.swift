import Foundation

/// One statement and its parameters as libpq takes them, converted when it is queued (so a
/// value PostgreSQL cannot take fails its caller at once): text values without their NUL,
/// bytea as bytes (format 1).
struct PGBoundStatement {
    /// The prepared-statement cache key: SQL text and parameter types.
    let key: String
    /// The SQL with `$1..$n` parameters.
    let text: String
    let types: [UInt32]
    let values: [[UInt8]?]
    let binary: [Bool]

    /// Calls `body` with libpq's parameter arrays (values NUL-terminated for text).
    func withValues<R>(_ body: ([UnsafePointer<CChar>?], [Int32], [Int32]) -> R) -> R {
        var buffers: [UnsafeMutablePointer<CChar>?] = []
        buffers.reserveCapacity(values.count)
        defer { buffers.forEach { free($0) } }
        var lengths: [Int32] = []
        var formats: [Int32] = []
        for (value, isBinary) in zip(values, binary) {
            guard let value else {
                buffers.append(nil); lengths.append(0); formats.append(0)
                continue
            }
            let copy = malloc(value.count + 1)!.assumingMemoryBound(to: CChar.self)
            value.withUnsafeBytes { raw in
                if let base = raw.baseAddress { memcpy(copy, base, value.count) }
            }
            copy[value.count] = 0
            buffers.append(copy)
            lengths.append(Int32(value.count))
            formats.append(isBinary ? 1 : 0)
        }
        return body(buffers.map { $0.map { UnsafePointer($0) } }, lengths, formats)
    }
}
