// swift-tools-version:6.0
import PackageDescription

// Layers; each target imports only targets of lower layers (and the C modules only
// as `internal import`, so no C type can appear in a public signature):
//   1. C bindings:      COpenSSL, CSQLite, CPostgres (libpq), CFastCGI, CCurl (Debian -dev packages),
//                       CSpawn (glibc's posix_spawn extras)
//   2. safe wrappers:   ESTOpenSSL (keys, certs, CSRs, PKCS#7/CMS, chains); ESTSQL (the
//                       engine-neutral SQL layer: SQLValue, SQLRow, the SQLConnection protocol,
//                       SQLDialect, Migrator), which ESTSQLite and ESTPostgres implement;
//                       ESTHTTP (an HTTP client over libcurl, for the operator's services)
//   3. EST protocol:    ESTCore (pure request -> response; owns the EnrollmentAuthority
//                       interface, as globalsign/est's `est` package owns `CA`)
//   4. CA:              ESTCA (model, policy, the CAStore protocol, administration;
//                       implements EnrollmentAuthority); ESTStore (the one CAStore, written
//                       once over ESTSQL: every operation, the row mapping, store copy); then
//                       ESTSQLiteStore and ESTPostgresStore, only what each engine has of its
//                       own (connection, pool, transaction runner, schema, doctor's checks)
//   5. adapter:         ESTFastCGI, and the `estfcgi` command
//      tooling:         ESTWebServerConfig (`doctor --nginx-conf/--apache-conf`: reads web-server
//                       configs, never serves a request), used only by the command
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
        .systemLibrary(name: "CPostgres", pkgConfig: "libpq",
                       providers: [.apt(["libpq-dev"])]),
        .systemLibrary(name: "CFastCGI", providers: [.apt(["libfcgi-dev"])]),
        .systemLibrary(name: "CCurl", pkgConfig: "libcurl",
                       providers: [.apt(["libcurl4-openssl-dev"])]),
        // glibc's posix_spawn close-from and pipe2, for the authorization hook's command (header only).
        .systemLibrary(name: "CSpawn"),

        .target(name: "ESTOpenSSL", dependencies: ["COpenSSL"]),
        // An HTTP client (libcurl) for the operator's services: authorization hook, notifications.
        .target(name: "ESTHTTP", dependencies: ["CCurl"]),
        // The engine-neutral SQL layer: values, rows, the connection protocol, dialect, migrator.
        .target(name: "ESTSQL"),
        .target(name: "ESTSQLite", dependencies: ["CSQLite", "ESTSQL"]),
        .target(name: "ESTPostgres", dependencies: ["CPostgres", "ESTSQL"]),
        .target(name: "ESTCore", dependencies: ["ESTOpenSSL"]),
        .target(name: "ESTCA", dependencies: ["ESTCore", "ESTOpenSSL", "ESTHTTP", "CSpawn"]),
        // The one CAStore implementation over ESTSQL (every operation, the row mapping, store copy).
        .target(name: "ESTStore", dependencies: ["ESTCA", "ESTCore", "ESTOpenSSL", "ESTSQL"]),
        // Engine glue: connection, pool, transaction runner, schema history, doctor's checks.
        .target(name: "ESTSQLiteStore", dependencies: ["ESTCA", "ESTStore", "ESTSQLite"]),
        .target(name: "ESTPostgresStore", dependencies: ["ESTCA", "ESTStore", "ESTPostgres"]),
        .target(name: "ESTFastCGI", dependencies: ["CFastCGI", "ESTCore", "ESTOpenSSL"]),
        // `doctor`'s web-server config checks; ESTCA only for `HealthFinding`, their shape.
        .target(name: "ESTWebServerConfig", dependencies: ["ESTCA"]),
        .executableTarget(name: "estfcgi", dependencies: [
            "ESTFastCGI", "ESTCore", "ESTCA", "ESTStore", "ESTSQL", "ESTSQLiteStore", "ESTPostgresStore", "ESTOpenSSL",
            "ESTWebServerConfig", "ESTHTTP",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),

        .testTarget(name: "ESTOpenSSLTests", dependencies: ["ESTOpenSSL", "COpenSSL"]),
        .testTarget(name: "ESTSQLiteTests", dependencies: ["ESTSQLite", "ESTSQL", "CSQLite"]),
        .testTarget(name: "ESTCoreTests", dependencies: ["ESTCore"]),
        .testTarget(name: "ESTCATests", dependencies: ["ESTCA", "ESTSQLiteStore"]),
        .testTarget(name: "ESTSQLiteStoreTests", dependencies: ["ESTSQLiteStore", "ESTCA", "ESTStore"]),
        .testTarget(name: "ESTFastCGITests", dependencies: ["ESTFastCGI"]),
        .testTarget(name: "ESTHTTPTests", dependencies: ["ESTHTTP"]),
        .testTarget(name: "ESTWebServerConfigTests", dependencies: ["ESTWebServerConfig", "ESTCA"]),
        // The CAStore contract against both backends (PostgreSQL when ESTFCGI_TEST_PG is set).
        .testTarget(name: "StoreContractTests", dependencies: ["ESTCA", "ESTCore", "ESTOpenSSL", "ESTSQLiteStore",
                                                               "ESTPostgresStore", "ESTPostgres", "ESTStore", "ESTSQL"]),
    ]
)

// libFuzzer targets (Fuzz/, run by scripts/fuzz), declared only when ESTFCGI_FUZZ is set so
// that the normal `swift build` and `swift test` never see them. Build one with
//   ESTFCGI_FUZZ=1 swift build -c release --scratch-path .build-fuzz \
//       -Xswiftc -sanitize=fuzzer --product FuzzCSR
// (-sanitize=fuzzer on every module gives the library targets coverage instrumentation and
// links libFuzzer; -parse-as-library lets main.swift hold the @_cdecl LLVMFuzzerTestOneInput
// and an @main that runs libFuzzer's driver, since SwiftPM binds `main` to the module's own
// entry point and libFuzzer's main() would never run.)
if Context.environment["ESTFCGI_FUZZ"] != nil {
    let fuzzTargets: [(name: String, dependencies: [Target.Dependency])] = [
        ("FuzzBody", ["ESTOpenSSL"]),
        ("FuzzCSR", ["ESTOpenSSL", "ESTCore", "FuzzSupport"]),
        ("FuzzRoute", ["ESTCore"]),
        ("FuzzParams", ["ESTFastCGI", "ESTCore", "ESTOpenSSL", "FuzzSupport"]),
    ]
    // libFuzzer's driver entry point (a header only), and the @main side of every target.
    package.targets.append(.systemLibrary(name: "CLibFuzzer", path: "Fuzz/CLibFuzzer"))
    package.targets.append(.target(name: "FuzzDriver", dependencies: ["CLibFuzzer"], path: "Fuzz/FuzzDriver"))
    // The CA fixture the CSR and params targets share (public APIs only).
    package.targets.append(.target(name: "FuzzSupport", dependencies: ["ESTCA", "ESTCore", "ESTOpenSSL", "ESTSQLiteStore"],
                                   path: "Fuzz/FuzzSupport"))
    for t in fuzzTargets {
        package.targets.append(.executableTarget(
            name: t.name, dependencies: t.dependencies + ["FuzzDriver"], path: "Fuzz/\(t.name)",
            swiftSettings: [.unsafeFlags(["-parse-as-library"])]))
        package.products.append(.executable(name: t.name, targets: [t.name]))
    }
}
