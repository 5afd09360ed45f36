// swift-tools-version: 6.0
import PackageDescription

// Benchmarks live in their own package so a user's build of HakoGC stays small.
let package = Package(
    name: "HakoGCBenchmarks",
    dependencies: [.package(name: "HakoGC", path: "..")],
    targets: [
        .executableTarget(
            name: "binary-trees-hako",
            dependencies: [.product(name: "GcTypes", package: "HakoGC")]),
        .executableTarget(
            name: "binary-trees-raw",
            dependencies: [.product(name: "GcCore", package: "HakoGC")]),
        .executableTarget(name: "binary-trees-arc"),
        .executableTarget(
            name: "cyclic-garbage-hako",
            dependencies: [.product(name: "GcTypes", package: "HakoGC")]),
    ]
)
