/// The release version: `estfcgi --version` prints it, and `scripts/build-deb` names the
/// Debian package after what the built binary prints. Change it here only.
enum Version {
    static let current = "0.1.0"
}
