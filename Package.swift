// swift-tools-version: 6.0
import PackageDescription

let package = Package(
    name: "Ferry",
    platforms: [.macOS(.v14)],
    products: [
        .library(name: "Ferry", targets: ["Ferry"]),
        .library(name: "FerrySQLite", targets: ["FerrySQLite"]),
        .library(name: "FerryPostgres", targets: ["FerryPostgres"]),
        .library(name: "FerryServer", targets: ["FerryServer"]),
        .executable(name: "ferry", targets: ["FerryCLI"]),
    ],
    dependencies: [
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
        .package(url: "https://github.com/LebJe/TOMLKit", from: "0.6.0"),
        .package(url: "https://github.com/vapor/postgres-nio", from: "1.33.2"),
        // gzip for `ferry export --compress` (zlib underneath).
        .package(url: "https://github.com/adam-fowler/compress-nio", from: "1.5.0"),
        // `swift package generate-documentation --target Ferry` builds the DocC catalog.
        .package(url: "https://github.com/swiftlang/swift-docc-plugin", from: "1.5.0"),
        // The admin server and page (`FerryServer`, `ferry serve`) on Hummingbird 2.
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        // Header names beyond those Hummingbird re-exports (the page's security headers).
        .package(url: "https://github.com/apple/swift-http-types", from: "1.8.0"),
        // The admin server's certificate and key ([server] tls_certificate, tls_key).
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.6"),
        // How `ferry serve` stops: Hummingbird runs on it; its running operation is cancelled first.
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
    ],
    targets: [
        .target(
            name: "Ferry",
            dependencies: [
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "TOMLKit", package: "TOMLKit"),
                .product(name: "CompressNIO", package: "compress-nio"),
            ]
        ),
        // sqlite3_config, whose variable arguments Swift cannot pass.
        .target(
            name: "CFerrySQLiteSettings",
            dependencies: [.product(name: "GRDBSQLite", package: "GRDB.swift")]
        ),
        .target(
            name: "FerrySQLite",
            dependencies: [
                "Ferry",
                "CFerrySQLiteSettings",
                .product(name: "GRDB", package: "GRDB.swift"),
                // The SQLite C API, for streaming dumps without a Swift value per column.
                .product(name: "GRDBSQLite", package: "GRDB.swift"),
            ]
        ),
        // posix_spawn with the GNU extension that closes the child's other descriptors, which
        // Swift's Glibc module does not bring in.
        .target(name: "CFerrySpawn"),
        .target(
            name: "FerryPostgres",
            dependencies: [
                "Ferry",
                "CFerrySpawn",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // The admin HTTP server and its page: routes an application mounts,
        // run alone by `ferry serve`.
        .target(
            name: "FerryServer",
            dependencies: [
                "Ferry",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTLS", package: "hummingbird"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        .executableTarget(
            name: "FerryCLI",
            dependencies: [
                "Ferry",
                "FerrySQLite",
                "FerryPostgres",
                "FerryServer",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Sources/ferry"
        ),
        // Helpers the test targets share: temporary folders, the example
        // application, database snapshots.
        .target(
            name: "FerryTestSupport",
            dependencies: [
                "Ferry",
                "FerrySQLite",
                "FerryPostgres",
                .product(name: "GRDB", package: "GRDB.swift"),
            ],
            path: "Tests/FerryTestSupport"
        ),
        .testTarget(
            name: "FerryTests",
            dependencies: ["Ferry", "FerryTestSupport"]
        ),
        .testTarget(
            name: "FerrySQLiteTests",
            dependencies: [
                "Ferry",
                "FerrySQLite",
                "FerryTestSupport",
                .product(name: "GRDB", package: "GRDB.swift"),
            ]
        ),
        // The PostgreSQL engine: its script splitter (pure code), and the
        // engine on the PostgreSQL server that scripts/test.sh starts.
        .testTarget(
            name: "FerryPostgresTests",
            dependencies: [
                "Ferry", "FerryPostgres", "FerryTestSupport",
                .product(name: "PostgresNIO", package: "postgres-nio"),
            ]
        ),
        // The admin server's routes through Hummingbird's test client, and
        // its page in headless Chromium served by the built `ferry serve`.
        .testTarget(
            name: "FerryServerTests",
            dependencies: [
                "Ferry",
                "FerryCLI",
                "FerrySQLite",
                "FerryPostgres",
                "FerryServer",
                "FerryTestSupport",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
            ]
        ),
        // Runs the built `ferry` binary against real databases, and the
        // behaviour suite that runs the same scenarios on every engine.
        .testTarget(
            name: "FerryEndToEndTests",
            dependencies: [
                "Ferry",
                "FerryCLI",
                "FerrySQLite",
                "FerryPostgres",
                "FerryTestSupport",
                .product(name: "GRDB", package: "GRDB.swift"),
            ]
        ),
    ]
)
