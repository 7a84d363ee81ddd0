internal import COpenSSL
import Foundation

/// The PKCS#11 module of this process: loaded with libp11's engine once (lazily, under a
/// lock), then kept for the life of the process (PKCS#11 allows one
/// C_Initialize per process; finalising under a key still in use would break it).
///
/// Threads: libp11 (0.4.12, since OpenSC/libp11#396) initialises the module with
/// CKF_OS_LOCKING_OK and signs through a pool of sessions, so keys it loaded sign from many
/// threads at once. Loading is serialised here, since the PIN is engine state set just before.
/// Processes: each one (a CGI request, a FastCGI worker) has its own sessions and login, but
/// SoftHSM 2.6's file store fails when processes open and log in to one token at the same
/// time (measured: 24 of 60 loads failed at 6 processes at once, "General Error" or the token
/// missing; cf. softhsm/SoftHSMv2#757), so loading holds an flock(2) on the module file
/// across processes; `flock MODULE cmd` serialises the operator's tools with them.
final class PKCS11Module: @unchecked Sendable {
    let path: String
    private let functions: UnsafeMutablePointer<CK_FUNCTION_LIST>
    private let engine: OpaquePointer
    private let ui: OpaquePointer
    private let lock = NSLock()

    private static let registryLock = NSLock()
    nonisolated(unsafe) private static var registry: [String: PKCS11Module] = [:]

    /// The module at `path`, loaded on first use. libp11's engine binds once per process (a
    /// second instance fails in ENGINE_init), so a process drives one module: another file is
    /// refused with a reason. Two spellings of one file (a symlink, as Debian's
    /// /usr/lib/softhsm/libsofthsm2.so is) are the same module.
    static func shared(_ path: String) throws -> PKCS11Module {
        try checkFile(path)
        let file = realpath(path, nil).map { resolved in
            defer { free(resolved) }
            return String(cString: resolved)
        } ?? path
        registryLock.lock()
        defer { registryLock.unlock() }
        if let m = registry[file] { return m }
        if let other = registry.values.first {
            throw PKCS11Error.moduleNotLoadable(module: PKCS11URI.shown(path), reason:
                "this process already uses the PKCS#11 module \(PKCS11URI.shown(other.path)) (libp11's engine drives one module per process)")
        }
        let m = try withProcessLock(path) { try PKCS11Module(path) }
        registry[file] = m
        return m
    }

    /// The module runs in this process with its rights: like sudo with its plugins, refuse a
    /// file someone else could have replaced.
    static func checkFile(_ path: String) throws {
        let shown = PKCS11URI.shown(path)
        guard path.hasPrefix("/") else { throw PKCS11Error.moduleNotLoadable(module: shown, reason: "not an absolute path") }
        var st = stat()
        guard stat(path, &st) == 0 else {
            throw PKCS11Error.moduleNotLoadable(module: shown, reason: String(cString: strerror(errno)))
        }
        guard st.st_mode & S_IFMT == S_IFREG else { throw PKCS11Error.moduleNotLoadable(module: shown, reason: "not a regular file") }
        guard st.st_mode & 0o022 == 0 else {
            throw PKCS11Error.moduleNotLoadable(module: shown, reason: "writable by group or others (mode \(String(st.st_mode & 0o777, radix: 8)))")
        }
        guard st.st_uid == 0 || st.st_uid == geteuid() else {
            throw PKCS11Error.moduleNotLoadable(module: shown, reason: "owned by neither root nor this user")
        }
    }

    /// Where OpenSSL finds engines: OPENSSL_ENGINES, else the directory it was built with.
    static var engineFile: String {
        if let dir = ProcessInfo.processInfo.environment["OPENSSL_ENGINES"], !dir.isEmpty { return dir + "/pkcs11.so" }
        // "ENGINESDIR: \"/usr/lib/x86_64-linux-gnu/engines-3\""
        let text = String(cString: OpenSSL_version(OPENSSL_ENGINES_DIR))
        let parts = text.split(separator: "\"")
        return (parts.count >= 2 ? String(parts[1]) : "/usr/lib/x86_64-linux-gnu/engines-3") + "/pkcs11.so"
    }

    private init(_ path: String) throws {
        self.path = path
        let shown = PKCS11URI.shown(path)
        // Loaded here first so that a wrong path fails as itself, not as the engine's vaguer error.
        guard let handle = dlopen(path, RTLD_NOW | RTLD_LOCAL) else {
            let reason = dlerror().map { PKCS11URI.shown(String(cString: $0)) } ?? "dlopen failed"
            throw PKCS11Error.moduleNotLoadable(module: shown, reason: reason)
        }
        guard let symbol = dlsym(handle, "C_GetFunctionList") else {
            dlclose(handle)
            throw PKCS11Error.moduleNotLoadable(module: shown, reason: "no C_GetFunctionList: not a PKCS#11 module")
        }
        let getList = unsafeBitCast(symbol, to: CK_C_GetFunctionList.self)
        var list: UnsafeMutablePointer<CK_FUNCTION_LIST>?
        guard getList(&list) == CKR_OK, let list else {
            dlclose(handle)
            throw PKCS11Error.moduleNotLoadable(module: shown, reason: "C_GetFunctionList failed")
        }
        functions = list  // the handle stays open for the life of the process
        let so = Self.engineFile
        guard FileManager.default.fileExists(atPath: so) else { throw PKCS11Error.engineNotInstalled(path: so) }
        guard let e = estfcgi_pkcs11_engine_new(so, path) else {
            let detail = OpenSSLError("load the pkcs11 engine").description
            throw PKCS11Error.moduleNotLoadable(module: shown, reason: detail)
        }
        guard let ui = estfcgi_ui_refusing_new() else { throw PKCS11Error.other("UI_create_method failed") }
        engine = e
        self.ui = ui
        OpenSSLError.drainQueue()
    }

    /// The private key `uri` names, logged in with `pin`, as an EVP_PKEY owned by the caller.
    func loadKey(_ uri: PKCS11URI, pin: String) throws -> OpaquePointer {
        lock.lock()
        defer { lock.unlock() }
        return try Self.withProcessLock(path) { try locked(uri, pin: pin) }
    }

    /// How long a load waits for another process's before giving up (the token is then
    /// busy or hung: the layer above answers 503).
    static let processLockTimeout: TimeInterval = 30

    /// Runs `body` holding an exclusive flock(2) on the module file, shared by every process
    /// that names the same file (by any path).
    static func withProcessLock<T>(_ path: String, _ body: () throws -> T) throws -> T {
        let shown = PKCS11URI.shown(path)
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            throw PKCS11Error.moduleNotLoadable(module: shown, reason: String(cString: strerror(errno)))
        }
        defer { close(fd) }  // closing releases the lock
        let deadline = Date() + processLockTimeout
        while flock(fd, LOCK_EX | LOCK_NB) != 0 {
            guard errno == EWOULDBLOCK || errno == EINTR else {
                throw PKCS11Error.other("cannot lock \(shown): \(String(cString: strerror(errno)))")
            }
            guard Date() < deadline else {
                throw PKCS11Error.other("another process has held \(shown) for \(Int(processLockTimeout)) s (a hung token?)")
            }
            usleep(2_000)
        }
        return try body()
    }

    private func locked(_ uri: PKCS11URI, pin: String) throws -> OpaquePointer {
        OpenSSLError.drainQueue()
        if let key = estfcgi_pkcs11_load(engine, uri.engineURI, pin, ui) {
            OpenSSLError.drainQueue()
            return key
        }
        let failure = Self.takeQueue()
        // libp11 puts the module's CK_RV as the reason of its "PKCS#11 module" errors.
        for (code, library) in failure.codes where library == "PKCS#11 module" {
            switch CK_RV(estfcgi_ERR_GET_REASON(code)) {
            case CKR_PIN_INCORRECT, CKR_PIN_LEN_RANGE: throw PKCS11Error.wrongPIN(token: uri.tokenDescription)
            case CKR_PIN_LOCKED: throw PKCS11Error.pinLocked(token: uri.tokenDescription)
            case CKR_TOKEN_NOT_PRESENT, CKR_DEVICE_REMOVED, CKR_TOKEN_NOT_RECOGNIZED:
                throw PKCS11Error.tokenNotPresent(token: uri.tokenDescription)
            default: continue
            }
        }
        // The engine says "object not found" alike for a missing token and a missing key.
        switch tokenPresent(uri) {
        case false?:
            // libp11 reads the slots once per engine instance, and its RE_ENUMERATE crashed
            // (0.4.12, with a key loaded): a token inserted later needs a new process.
            throw PKCS11Error.tokenNotPresent(token: uri.tokenDescription)
        case true?:
            throw PKCS11Error.keyNotFound(uri: PKCS11URI.shown(uri.engineURI))
        case nil:
            throw PKCS11Error.other("cannot load \(PKCS11URI.shown(uri.engineURI)): \(failure.text)")
        }
    }

    /// Whether a token the URI's token attributes match sits in a slot (nil: cannot tell).
    /// The module was initialised by libp11 by now; a second C_Initialize is answered
    /// CKR_CRYPTOKI_ALREADY_INITIALIZED and leaves its state alone.
    func tokenPresent(_ uri: PKCS11URI) -> Bool? {
        let f = functions.pointee
        guard let initialize = f.C_Initialize, let getSlots = f.C_GetSlotList, let getToken = f.C_GetTokenInfo else { return nil }
        var args = CK_C_INITIALIZE_ARGS()
        args.flags = CK_FLAGS(CKF_OS_LOCKING_OK)
        let rv = withUnsafeMutablePointer(to: &args) { initialize(UnsafeMutableRawPointer($0)) }
        guard rv == CKR_OK || rv == CKR_CRYPTOKI_ALREADY_INITIALIZED else { return nil }
        var count: CK_ULONG = 0
        guard getSlots(CK_BBOOL(CK_TRUE), nil, &count) == CKR_OK else { return nil }
        var slots = [CK_SLOT_ID](repeating: 0, count: Int(count))
        guard count == 0 || getSlots(CK_BBOOL(CK_TRUE), &slots, &count) == CKR_OK else { return nil }
        for slot in slots.prefix(Int(count)) {
            var info = CK_TOKEN_INFO()
            guard getToken(slot, &info) == CKR_OK else { continue }
            func field<T>(_ value: T) -> String {
                // Blank-padded, not NUL-terminated (PKCS#11 §3.2).
                let bytes = withUnsafeBytes(of: value) { Array($0) }
                return String(decoding: bytes, as: UTF8.self).trimmingCharacters(in: CharacterSet(charactersIn: " \0"))
            }
            if let t = uri.token, field(info.label) != t { continue }
            if let m = uri.manufacturer, field(info.manufacturerID) != m { continue }
            if let s = uri.serial, field(info.serialNumber) != s { continue }
            if let m = uri.model, field(info.model) != m { continue }
            return true
        }
        return false
    }

    /// The thread's error queue: each entry's code and library, and the whole as one line.
    static func takeQueue() -> (codes: [(UInt, String)], text: String) {
        var codes: [(UInt, String)] = []
        var lines: [String] = []
        while codes.count < 32 {
            let code = ERR_get_error()
            if code == 0 { break }
            codes.append((code, ERR_lib_error_string(code).map { String(cString: $0) } ?? ""))
            var buf = [CChar](repeating: 0, count: 256)
            ERR_error_string_n(code, &buf, buf.count)
            lines.append(OpenSSLError.oneLine(String(decoding: buf.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)))
        }
        OpenSSLError.drainQueue()
        return (codes, lines.isEmpty ? "no detail" : lines.joined(separator: "; "))
    }
}
