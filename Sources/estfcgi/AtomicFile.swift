import ESTCA
import Foundation

/// The one way the command writes a file: whole or not at all, as a reader beside it (a web
/// server serving the CRL while the timer replaces it) must see it. The bytes go to a new
/// file in the target's directory, created exclusively (O_CREAT|O_EXCL|O_NOFOLLOW) under a
/// name from getrandom(2), so that a link planted at a predictable name in a directory
/// others can write is never followed (it once made a run as root overwrite a root-owned
/// 0600 file); then fchmod, fsync, and rename() over the target.
enum AtomicFile {
    static func replace(_ path: String, with bytes: Data, mode: mode_t) throws {
        let url = URL(fileURLWithPath: path)
        let directory = url.deletingLastPathComponent().path
        var generator = SystemRandomNumberGenerator()
        var temporary = "", fd: Int32 = -1
        // A clash with a name already there (a planted one, most likely) just draws again.
        for _ in 0..<8 {
            temporary = directory + "/." + url.lastPathComponent + "." + String(generator.next() as UInt64, radix: 16) + ".tmp"
            fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600)
            if fd >= 0 || errno != EEXIST { break }
        }
        guard fd >= 0 else { throw CAError.internalFailure("cannot create a file in \(directory): \(String(cString: strerror(errno)))") }
        var renamed = false
        defer { if !renamed { unlink(temporary) } }
        do {
            defer { close(fd) }
            try bytes.withUnsafeBytes { (buffer: UnsafeRawBufferPointer) in
                var offset = 0
                while offset < buffer.count {
                    let n = Foundation.write(fd, buffer.baseAddress! + offset, buffer.count - offset)
                    if n < 0, errno == EINTR { continue }
                    guard n > 0 else { throw CAError.internalFailure("write: \(String(cString: strerror(errno)))") }
                    offset += n
                }
            }
            // On the descriptor: the name could be something else by now.
            guard fchmod(fd, mode) == 0 else { throw CAError.internalFailure("fchmod: \(String(cString: strerror(errno)))") }
            guard fsync(fd) == 0 else { throw CAError.internalFailure("fsync: \(String(cString: strerror(errno)))") }
        }
        guard rename(temporary, path) == 0 else { throw CAError.internalFailure("rename: \(String(cString: strerror(errno)))") }
        renamed = true
        // The rename itself survives a crash once the directory is on disk too.
        let dfd = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if dfd >= 0 { fsync(dfd); close(dfd) }
    }
}
