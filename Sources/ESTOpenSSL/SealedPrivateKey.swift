internal import COpenSSL
import Foundation

/// A private key sealed under a key file's 256-bit random secret: the protection for CA
/// keys that a process per request (CGI) unlocks, where PBKDF2's deliberate 0.2 s would be
/// paid by every enrollment. A random secret needs no stretching, so the key-encryption key
/// is HKDF-SHA256 (RFC 5869) of the secret with a fresh random salt per sealed key and an
/// info string naming the purpose; the PKCS#8 PrivateKeyInfo (RFC 5958) is encrypted with
/// AES-256-GCM (NIST SP 800-38D), whose 128-bit tag also authenticates the header.
///
/// GCM rather than AES key wrap (RFC 5649): the tag is 128 bits (key wrap's check is 64),
/// the header (version, key file identifier, salt, IV) is authenticated as associated
/// data, and it is the EVP cipher every OpenSSL 3 has. GCM's weakness, a repeated IV under
/// one key, cannot arise: every seal derives its own key from its own salt.
///
/// The stored form is PEM `ESTFCGI SEALED PRIVATE KEY` over
///   version (1, =1) | key file id (8) | salt (32) | IV (12) | ciphertext | tag (16)
/// The key file id (HKDF of the secret with its own info string) tells a wrong key file
/// from an altered ciphertext, without revealing anything usable about the secret.
public enum SealedPrivateKey {
    /// What a store's key_protection column records for a key sealed this way.
    public static let protection = "hkdf-sha256-keyfile"
    public static let secretLength = 32
    static let label = "ESTFCGI SEALED PRIVATE KEY"
    static let version: UInt8 = 1
    static let idLength = 8, saltLength = 32, ivLength = 12, tagLength = 16
    static var headerLength: Int { 1 + idLength + saltLength + ivLength }
    static let keyInfo = Array("estfcgi v1 CA private key sealing: AES-256-GCM key".utf8)
    static let idInfo = Array("estfcgi v1 key file identifier".utf8)

    /// True when `pem` is a sealed key (as opposed to encrypted PKCS#8 under a passphrase).
    public static func isSealed(_ pem: String) -> Bool {
        pem.utf8.starts(with: "-----BEGIN \(label)-----".utf8)
    }

    /// The public identifier of a key file's secret (16 hex digits), as doctor shows it.
    public static func identifier(ofSecret secret: Data) throws -> String {
        try identifierBytes(secret).map { String(format: "%02x", $0) }.joined()
    }

    /// The identifier of the key file `pem` was sealed with; nil when it is not a sealed key.
    public static func keyFileIdentifier(of pem: String) -> String? {
        guard let raw = try? decoded(pem) else { return nil }
        return raw[1..<(1 + idLength)].map { String(format: "%02x", $0) }.joined()
    }

    public static func seal(_ key: PrivateKey, secret: Data) throws -> String {
        var plain = [UInt8](try key.pkcs8DER())
        defer { wipe(&plain) }
        let salt = [UInt8](try SecureRandom.bytes(saltLength))
        let iv = [UInt8](try SecureRandom.bytes(ivLength))
        var kek = try derivedKey(secret, salt: salt)
        defer { wipe(&kek) }
        let header = [version] + (try identifierBytes(secret)) + salt + iv
        var cipher = [UInt8](repeating: 0, count: plain.count)
        var tag = [UInt8](repeating: 0, count: tagLength)
        guard estfcgi_aes256gcm_seal(kek, iv, header, Int32(header.count), plain, Int32(plain.count), &cipher, &tag) == 1 else {
            throw OpenSSLError("seal private key")
        }
        return PEM.encode(Data(header + cipher + tag), label: label)
    }

    /// The key sealed in `pem`. SealedKeyError for another key file, an altered or a
    /// malformed sealed key.
    public static func open(_ pem: String, secret: Data) throws -> PrivateKey {
        let raw = try decoded(pem)
        let header = Array(raw[0..<headerLength])
        let sealedID = Array(header[1..<(1 + idLength)])
        let givenID = try identifierBytes(secret)
        guard sealedID == givenID else { throw SealedKeyError.wrongKeyFile(sealedWith: hex(sealedID), given: hex(givenID)) }
        let salt = Array(header[(1 + idLength)..<(1 + idLength + saltLength)])
        let iv = Array(header[(headerLength - ivLength)..<headerLength])
        let cipher = Array(raw[headerLength..<(raw.count - tagLength)])
        let tag = Array(raw[(raw.count - tagLength)...])
        var kek = try derivedKey(secret, salt: salt)
        defer { wipe(&kek) }
        var plain = [UInt8](repeating: 0, count: cipher.count)
        defer { wipe(&plain) }
        guard estfcgi_aes256gcm_open(kek, iv, header, Int32(header.count), cipher, Int32(cipher.count), tag, &plain) == 1 else {
            OpenSSLError.drainQueue()
            throw SealedKeyError.notAuthentic
        }
        return try PrivateKey(der: Data(plain))
    }

    /// The sealed key's bytes, checked for version and length.
    static func decoded(_ pem: String) throws -> [UInt8] {
        guard isSealed(pem) else { throw SealedKeyError.malformed("no \(label) block") }
        guard let der = PEM.blocks(in: pem, labels: [label]).first else { throw SealedKeyError.malformed("bad base64") }
        let raw = [UInt8](der)
        guard raw.count > headerLength + tagLength else { throw SealedKeyError.malformed("too short") }
        guard raw[0] == version else { throw SealedKeyError.malformed("version \(raw[0]) (this estfcgi reads \(version))") }
        return raw
    }

    static func derivedKey(_ secret: Data, salt: [UInt8]) throws -> [UInt8] {
        try hkdf(secret, salt: salt, info: keyInfo, length: 32)
    }

    static func identifierBytes(_ secret: Data) throws -> [UInt8] {
        // No salt (RFC 5869 §2.2: HashLen zero bytes): the identifier is a function of the secret alone.
        try hkdf(secret, salt: [UInt8](repeating: 0, count: 32), info: idInfo, length: idLength)
    }

    static func hkdf(_ secret: Data, salt: [UInt8], info: [UInt8], length: Int) throws -> [UInt8] {
        guard secret.count == secretLength else { throw SealedKeyError.badSecret }
        return try hkdfSHA256([UInt8](secret), salt: salt, info: info, length: length)
    }

    /// HKDF-SHA256 (RFC 5869): extract with `salt`, expand with `info` to `length` bytes.
    public static func hkdfSHA256(_ ikm: [UInt8], salt: [UInt8], info: [UInt8], length: Int) throws -> [UInt8] {
        var out = [UInt8](repeating: 0, count: length)
        guard estfcgi_hkdf_sha256(ikm, Int32(ikm.count), salt, Int32(salt.count), info, Int32(info.count), &out, length) == 1 else {
            throw OpenSSLError("HKDF-SHA256")
        }
        return out
    }

    static func hex(_ bytes: [UInt8]) -> String { bytes.map { String(format: "%02x", $0) }.joined() }

    /// Overwrites key material before its memory is released (best effort: copies made by
    /// OpenSSL's own encoders are OpenSSL's to clear).
    public static func wipe(_ bytes: inout [UInt8]) {
        bytes.withUnsafeMutableBytes { if let base = $0.baseAddress { _ = memset(base, 0, $0.count) } }
    }
}
