// swift-tools-version: 6.0
import PackageDescription

let package = Package(
    name: "HakoGC",
    products: [
        .library(name: "GcCore", targets: ["GcCore"]),
        .library(name: "GcTypes", targets: ["GcTypes"]),
        .library(name: "GcProfiler", targets: ["GcProfiler"]),
        .library(name: "HakoGC", type: .dynamic, targets: ["CrossBoundary"]),
        .executable(name: "gcstat", targets: ["gcstat"]),
        .executable(name: "hako-demo", targets: ["hako-demo"]),
    ],
    targets: [
        .systemLibrary(
            name: "CJemalloc", pkgConfig: "jemalloc",
            providers: [.apt(["libjemalloc-dev"])]),
        .systemLibrary(
            name: "CUnwind", pkgConfig: "libunwind",
            providers: [.apt(["libunwind-dev"])]),
        .target(name: "GcCore", dependencies: ["CJemalloc"]),
        .target(name: "GcTypes", dependencies: ["GcCore"]),
        .target(name: "CHakoGC"),
        .target(name: "CrossBoundary", dependencies: ["GcCore", "CHakoGC"]),
        .target(name: "GcProfiler", dependencies: ["GcCore", "CUnwind"]),
        .executableTarget(name: "gcstat", dependencies: ["GcProfiler"]),
        .executableTarget(name: "hako-demo", dependencies: ["GcTypes", "GcProfiler"]),
        .target(name: "GcTestSupport", dependencies: ["GcCore"], path: "Tests/GcTestSupport"),
        .testTarget(name: "GcCoreTests", dependencies: ["GcCore", "GcTestSupport"]),
        .testTarget(name: "GcTypesTests", dependencies: ["GcTypes"]),
        .testTarget(name: "CrossBoundaryTests", dependencies: ["CrossBoundary", "GcCore"]),
        .testTarget(name: "GcProfilerTests", dependencies: ["GcProfiler", "GcCore"]),
        .testTarget(
            name: "StressTests", dependencies: ["GcCore", "GcTypes", "GcTestSupport"],
            path: "StressTests"),
    ]
)
