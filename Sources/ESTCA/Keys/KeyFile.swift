import ESTOpenSSL
import Foundation

/// The key file: a random 256-bit secret that seals CA keys (`SealedPrivateKey`) for
/// unattended servers, so that no process pays PBKDF2 to unlock them. One line of 64 hex
/// digits, as `estfcgi init --create-key-file` (or `openssl rand -hex 32`) writes it.
/// Whoever reads it holds every CA key sealed under it; it is held to the passphrase
/// file's rules and more: a regular file, not a symlink, owned by this user or root, and
/// closed to others (group read is allowed, for a web server's group).
public struct KeyFile: Sendable {
    public let path: String
    /// The 32 secret bytes; never printed or logged.
    public let secret: Data
    /// The secret's public identifier (16 hex digits), which a sealed key also records.
    public let identifier: String
    /// The file's permission bits, as read.
    public let mode: mode_t

    static let format = "64 hex digits (256 bits) on one line, as estfcgi init --create-key-file or openssl rand -hex 32 writes"

    /// Reads and checks the key file at `path`. CAError.internalFailure with a reason that
    /// names the file and its mode, never its content.
    public static func read(_ path: String) throws -> KeyFile {
        // O_NOFOLLOW: a symlink (planted where the key file should be) is refused, not followed.
        let fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK)
        guard fd >= 0 else {
            let why = errno == ELOOP ? "is a symbolic link (name the file itself)" : "cannot be read (\(String(cString: strerror(errno))))"
            throw CAError.internalFailure("key file \(path) \(why)")
        }
        defer { close(fd) }
        // The checks are on the descriptor: the name could be something else by now.
        var st = stat()
        guard fstat(fd, &st) == 0, st.st_mode & S_IFMT == S_IFREG else {
            throw CAError.internalFailure("key file \(path) is not a regular file")
        }
        let mode = st.st_mode & 0o777
        guard st.st_mode & 0o007 == 0 else {
            throw CAError.internalFailure("key file \(path) is open to others (mode \(String(mode, radix: 8))): chmod 600 it")
        }
        guard st.st_uid == geteuid() || st.st_uid == 0 else {
            throw CAError.internalFailure("key file \(path) is owned by uid \(st.st_uid), neither this user (\(geteuid())) nor root: chown it")
        }
        var buffer = [UInt8](repeating: 0, count: 256)
        defer { SealedPrivateKey.wipe(&buffer) }
        var count = 0
        while count < buffer.count {
            let n = buffer.withUnsafeMutableBytes { Foundation.read(fd, $0.baseAddress! + count, $0.count - count) }
            if n < 0, errno == EINTR { continue }
            guard n >= 0 else { throw CAError.internalFailure("key file \(path) cannot be read (\(String(cString: strerror(errno))))") }
            if n == 0 { break }
            count += n
        }
        guard let secret = parse(buffer[0..<count]) else {
            throw CAError.internalFailure("key file \(path) is not a key file: it must hold \(format)")
        }
        return KeyFile(path: path, secret: secret, identifier: try SealedPrivateKey.identifier(ofSecret: secret), mode: mode)
    }

    /// The secret of a key file's bytes: 64 hex digits, then nothing or one line end.
    static func parse(_ bytes: ArraySlice<UInt8>) -> Data? {
        var body = bytes
        if body.last == UInt8(ascii: "\n") { body = body.dropLast() }
        if body.last == UInt8(ascii: "\r") { body = body.dropLast() }
        guard body.count == 2 * SealedPrivateKey.secretLength else { return nil }
        var out = Data(capacity: SealedPrivateKey.secretLength)
        var index = body.startIndex
        while index < body.endIndex {
            guard let high = nibble(body[index]), let low = nibble(body[index + 1]) else { return nil }
            out.append(high << 4 | low)
            index += 2
        }
        return out
    }

    static func nibble(_ c: UInt8) -> UInt8? {
        switch c {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return c - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return c - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return c - UInt8(ascii: "A") + 10
        default: return nil
        }
    }

    /// Creates a new key file at `path` (mode 0600, O_EXCL: an existing file, which may
    /// protect CA keys, is never replaced) with a fresh secret from OpenSSL's CSPRNG, and
    /// returns it read back through `read`. The secret is never printed.
    @discardableResult
    public static func create(_ path: String) throws -> KeyFile {
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600)
        guard fd >= 0 else {
            if errno == EEXIST {
                throw CAError.badRequest("key file \(path) already exists: it is not replaced (it may seal CA keys); name a new file")
            }
            throw CAError.internalFailure("cannot create key file \(path): \(String(cString: strerror(errno)))")
        }
        var written = false
        defer { if !written { unlink(path) } }
        do {
            defer { close(fd) }
            var line = [UInt8](try SecureRandom.bytes(SealedPrivateKey.secretLength).map { String(format: "%02x", $0) }.joined().utf8) + [10]
            defer { SealedPrivateKey.wipe(&line) }
            var offset = 0
            while offset < line.count {
                let n = line.withUnsafeBytes { Foundation.write(fd, $0.baseAddress! + offset, $0.count - offset) }
                if n < 0, errno == EINTR { continue }
                guard n > 0 else { throw CAError.internalFailure("cannot write key file \(path): \(String(cString: strerror(errno)))") }
                offset += n
            }
            // The umask may have narrowed 0600 further; never wider. On the descriptor.
            guard fchmod(fd, 0o600) == 0, fsync(fd) == 0 else {
                throw CAError.internalFailure("cannot write key file \(path): \(String(cString: strerror(errno)))")
            }
        }
        let directory = URL(fileURLWithPath: path).deletingLastPathComponent().path
        let dfd = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if dfd >= 0 { fsync(dfd); close(dfd) }
        let file = try read(path)
        written = true
        return file
    }
}
