// swift-tools-version: 6.0
// Ferry's libFuzzer targets, one executable per parser, built apart from the
// main package because every module is compiled with the fuzzer's
// instrumentation: `scripts/fuzz.sh` builds and runs them.
import Foundation
import PackageDescription

// The root package is referred to by the name of its folder (a clone may be named anything).
let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
let ferry = root.lastPathComponent

/// The fuzz targets: the name `scripts/fuzz.sh` and `Corpus/` use, and the
/// products of the root package it reaches.
let targets: [(name: String, products: [String])] = [
    ("script-splitter", ["FerryPostgres"]),
    ("releases", ["Ferry"]),
    ("settings", ["Ferry", "FerryPostgres"]),
    ("migration-folder", ["Ferry"]),
    ("backup-manifest", ["Ferry"]),
    ("export-manifest", ["Ferry"]),
    ("export-lines", ["Ferry"]),
    ("urls", ["Ferry", "FerryPostgres"]),
]

let package = Package(
    name: "FerryFuzz",
    platforms: [.macOS(.v14)],
    dependencies: [.package(path: root.path)],
    targets: [
        // libFuzzer's driver, called from each target's `main`.
        .target(name: "FuzzDriver"),
        // Scratch folders, the small archive format of the folder targets, the driver.
        // Optimized even in a debug build: its work is the harness's, not Ferry's.
        .target(
            name: "FuzzSupport", dependencies: ["FuzzDriver"],
            swiftSettings: [.unsafeFlags(["-O"])]),
    ]
        + targets.map { target in
            .executableTarget(
                name: target.name,
                dependencies: ["FuzzSupport"]
                    + target.products.map { .product(name: $0, package: ferry) })
        }
)
