import ESTCore
import ESTOpenSSL

extension CertificateAuthority {
    /// The device a CSR names and what the registry says of it, checked before anything is
    /// signed; the store checks it again in the transaction that records the certificate.
    /// Nil when the CSR names no device and the profile keeps no registry.
    func deviceClaim(subject: DistinguishedName, checked: CheckedRequest, profile: Profile, requester: Requester,
                     renewal: Bool) throws -> DeviceClaim? {
        let name = try profile.deviceID.device(subject: subject, subjectAltName: checked.names)
        // A per-device password (RFC 7030 §3.2.3): the user is the device it may enroll.
        // Bytes, as the password file and the registry compare them (see ByteName).
        if let user = requester.httpUser, name.map({ ByteName.same($0, user) }) != true {
            throw CAError.forbidden("HTTP user \(user) may not enroll device \(name ?? "(none)")")
        }
        guard let name else {
            guard profile.registration == .off else {
                throw CAError.badRequest("CSR names no device (this profile reads its \(profile.deviceID.rawValue))")
            }
            return nil
        }
        do { try Device.validate(name: name) } catch { throw CAError.badRequest("CSR device name refused: \((error as? CAError)?.reason ?? "\(error)")") }
        let key = DeviceKey(profile.deviceID, name)
        let claim = DeviceClaim(device: key, registration: profile.registration, replaceable: profile.replaceableEnrollment,
                                renewal: renewal,
                                replacer: requester.httpUser != nil ? nil : requester.bootstrap?.issuerAndSerialDigest.hexString)
        if let device = try store.device(key) {
            try Self.check(device, claim: claim, profile: profile.label)
        } else if profile.registration == .preregistered {
            throw CAError.forbidden("device not registered")
        }
        if !renewal, profile.registration != .off, !profile.replaceableEnrollment,
           !(try store.issuedCertificates(matching: CertificateFilter(status: .valid, device: key), now: now())).isEmpty {
            throw CAError.forbidden("device already enrolled, use simplereenroll")
        }
        return claim
    }

    /// The rules a known device (its kind and name) is held to: disabled, it is refused under
    /// every profile;
    /// registered under one profile, it enrolls under no other profile that keeps a
    /// registry. A profile without one is bound by nothing else: a registration made
    /// elsewhere (by an operator, or by any client under `jit`) cannot lock its devices out.
    public static func check(_ device: Device, claim: DeviceClaim, profile: String?) throws {
        guard device.status == .active else { throw CAError.forbidden("device \(device.name) is disabled") }
        guard claim.registration == .off || device.profile == profile else {
            throw CAError.forbidden("device \(device.name) is registered under profile \(device.profileName)")
        }
    }
}
