// swift-tools-version:6.0
import PackageDescription

// Layers (each depends only on the ones above it in this list):
//   1. C bindings:        COpenSSL, CSQLite, CFastCGI (Debian -dev packages)
//   2. safe wrappers:     ESTOpenSSL (keys, certs, CSRs, PKCS#7/CMS, chains), ESTSQLite
//   3. CA store + policy: ESTCA
//   4. EST protocol core: ESTCore (pure request -> response)
//   5. FastCGI adapter:   ESTFastCGI, and the `estfcgi` command
let package = Package(
    name: "estfcgi",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "estfcgi", targets: ["estfcgi"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
    ],
    targets: [
        .systemLibrary(name: "COpenSSL", pkgConfig: "openssl",
                       providers: [.apt(["libssl-dev"])]),
        .systemLibrary(name: "CSQLite", pkgConfig: "sqlite3",
                       providers: [.apt(["libsqlite3-dev"])]),
        .systemLibrary(name: "CFastCGI", providers: [.apt(["libfcgi-dev"])]),

        .target(name: "ESTOpenSSL", dependencies: ["COpenSSL"]),
        .target(name: "ESTSQLite", dependencies: ["CSQLite"]),
        .target(name: "ESTCA", dependencies: ["ESTOpenSSL", "ESTSQLite"]),
        .target(name: "ESTCore", dependencies: ["ESTCA", "ESTOpenSSL"]),
        .target(name: "ESTFastCGI", dependencies: ["CFastCGI", "ESTCore"]),
        .executableTarget(name: "estfcgi", dependencies: [
            "ESTFastCGI", "ESTCore", "ESTCA", "ESTOpenSSL",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),

        .testTarget(name: "ESTOpenSSLTests", dependencies: ["ESTOpenSSL"]),
        .testTarget(name: "ESTSQLiteTests", dependencies: ["ESTSQLite"]),
        .testTarget(name: "ESTCATests", dependencies: ["ESTCA"]),
        .testTarget(name: "ESTCoreTests", dependencies: ["ESTCore", "ESTCA"]),
    ]
)
