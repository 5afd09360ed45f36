// swift-tools-version: 6.0
import PackageDescription

// Benchmarks live in their own package so a user's build of HakoGC stays small.
// `make bench` at the repository root builds these and the peers in Benchmarks/peers
// and runs Benchmarks/run.py, which prints the side-by-side table.
let jemalloc: [LinkerSetting] = [.linkedLibrary("jemalloc")]
let package = Package(
    name: "HakoGCBenchmarks",
    dependencies: [.package(name: "HakoGC", path: "..")],
    targets: [
        .target(name: "BenchSupport", linkerSettings: jemalloc),
        .executableTarget(
            name: "binary-trees-hako",
            dependencies: [.product(name: "GcTypes", package: "HakoGC")]),
        .executableTarget(
            name: "binary-trees-raw",
            dependencies: [.product(name: "GcCore", package: "HakoGC")]),
        .executableTarget(name: "binary-trees-arc"),
        .target(
            name: "RingWorkload",
            dependencies: [.product(name: "GcTypes", package: "HakoGC")]),
        .executableTarget(
            name: "cyclic-garbage-hako",
            dependencies: ["RingWorkload", .product(name: "GcTypes", package: "HakoGC")]),
        .executableTarget(
            name: "old-garbage-hako",
            dependencies: ["RingWorkload", .product(name: "GcTypes", package: "HakoGC")]),
        .executableTarget(
            name: "conversions-hako",
            dependencies: ["BenchSupport", .product(name: "GcTypes", package: "HakoGC")]),
        .executableTarget(
            name: "alloc-throughput-hako",
            dependencies: ["BenchSupport", .product(name: "GcTypes", package: "HakoGC")]),
        .executableTarget(name: "alloc-throughput-arc", dependencies: ["BenchSupport"]),
    ]
)
