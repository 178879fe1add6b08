// swift-tools-version:6.0
// The feature store's insert throughput, built as its own package (so it
// never becomes a product of rtml) against RTMLCore in release mode.
// Run: Benchmarks/store/run.sh [rows]
import PackageDescription

let package = Package(
    name: "store-bench",
    dependencies: [
        .package(name: "rtml", path: "../.."),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
    ],
    targets: [
        .executableTarget(
            name: "store-bench",
            dependencies: [
                .product(name: "RTMLCore", package: "rtml"),
                .product(name: "GRDB", package: "GRDB.swift"),
            ]
        ),
    ],
    swiftLanguageModes: [.v5]
)
