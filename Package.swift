// swift-tools-version: 6.0
import PackageDescription

let package = Package(
    name: "Ferry",
    platforms: [.macOS(.v14)],
    products: [
        .library(name: "Ferry", targets: ["Ferry"]),
        .library(name: "FerrySQLite", targets: ["FerrySQLite"]),
        .executable(name: "ferry", targets: ["FerryCLI"]),
    ],
    dependencies: [
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
        .package(url: "https://github.com/LebJe/TOMLKit", from: "0.6.0"),
    ],
    targets: [
        .target(
            name: "Ferry",
            dependencies: [
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "TOMLKit", package: "TOMLKit"),
            ]
        ),
        .target(
            name: "FerrySQLite",
            dependencies: [
                "Ferry",
                .product(name: "GRDB", package: "GRDB.swift"),
                // The SQLite C API, for streaming dumps without a Swift value per column.
                .product(name: "GRDBSQLite", package: "GRDB.swift"),
            ]
        ),
        .executableTarget(
            name: "FerryCLI",
            dependencies: [
                "Ferry",
                "FerrySQLite",
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
        // Runs the built `ferry` binary against real databases.
        .testTarget(
            name: "FerryEndToEndTests",
            dependencies: [
                "FerryCLI",
                "Ferry",
                "FerryTestSupport",
                .product(name: "GRDB", package: "GRDB.swift"),
            ]
        ),
    ]
)
