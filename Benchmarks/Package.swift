// swift-tools-version: 6.0
import PackageDescription

// The Swift programs the benchmark driver (run.py) measures beside the
// `ferry` tool: the GRDB peer, and Ferry measured inside one process.
// Built in release mode by run.py; a separate package so that the root
// package and its tests never build GRDB's peer code.
let package = Package(
    name: "FerryBenchmarks",
    platforms: [.macOS(.v14)],
    dependencies: [
        .package(url: "https://github.com/groue/GRDB.swift", exact: "7.10.0"),
        .package(name: "Ferry", path: ".."),
    ],
    targets: [
        // GRDB's DatabaseMigrator doing what Ferry does: the peer.
        .executableTarget(
            name: "grdb-peer",
            dependencies: [.product(name: "GRDB", package: "GRDB.swift")],
            path: "Sources/GRDBPeer"
        ),
        // Ferry's library calls timed in-process, and its bare backup steps.
        .executableTarget(
            name: "ferry-in-process",
            dependencies: [
                .product(name: "Ferry", package: "Ferry"),
                .product(name: "FerrySQLite", package: "Ferry"),
                .product(name: "GRDB", package: "GRDB.swift"),
            ],
            path: "Sources/FerryInProcess"
        ),
    ]
)
