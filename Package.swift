// swift-tools-version:6.0
import PackageDescription

// Swift 5 language mode: the hot paths (line reader, JSON scanner) work on raw
// pointers and hand buffers between two threads under their own locks; strict
// concurrency checking would force copies there for no safety gain.
let package = Package(
    name: "rtml",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "rtml", targets: ["rtml"]),
        .library(name: "RTMLCore", targets: ["RTMLCore"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-collections", from: "1.6.0"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        // Latency percentiles for serve-once and replay.
        .package(url: "https://github.com/HdrHistogram/hdrhistogram-swift", from: "0.2.0"),
    ],
    targets: [
        .systemLibrary(
            name: "CZlib",
            pkgConfig: "zlib",
            providers: [.apt(["zlib1g-dev"])]
        ),
        .systemLibrary(
            name: "CIsal",
            pkgConfig: "libisal",
            providers: [.apt(["libisal-dev"])]
        ),
        .target(name: "CSupport"),
        .target(
            name: "RTMLCore",
            dependencies: [
                "CZlib",
                "CIsal",
                "CSupport",
                .product(name: "DequeModule", package: "swift-collections"),
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "GRDBSQLite", package: "GRDB.swift"),
                .product(name: "Histogram", package: "hdrhistogram-swift"),
            ],
            // Release builds leave out the run-time exclusivity checks (2 % of
            // featurize's instructions, a call on each access to a class's
            // stored collection); debug builds, which the tests run, keep them.
            swiftSettings: [.unsafeFlags(["-enforce-exclusivity=unchecked"], .when(configuration: .release))]
        ),
        .executableTarget(
            name: "rtml",
            dependencies: [
                "RTMLCore",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .testTarget(name: "RTMLCoreTests", dependencies: ["RTMLCore"]),
        .testTarget(name: "rtmlTests", dependencies: ["rtml"]),
    ],
    swiftLanguageModes: [.v5]
)
