// swift-tools-version: 6.0
import PackageDescription

// Sanitizer builds (scripts/test-sanitizers.sh). A sanitizer must own malloc, so
// HAKOGC_SANITIZE=address or =thread (or HAKOGC_SYSTEM_MALLOC=1 alone) builds
// without jemalloc: heap pages come from the system allocator. With `address`,
// GcCore also poisons every freed slot's payload (HAKOGC_ASAN), so a read through a
// stale reference is reported. Normal builds link jemalloc and poison nothing.
let sanitizer = Context.environment["HAKOGC_SANITIZE"]
// A mistyped sanitizer would build without jemalloc and without poisoning, and the
// run would look like a sanitizer run: refused.
if let sanitizer, sanitizer != "address" && sanitizer != "thread" {
    fatalError("HAKOGC_SANITIZE=\(sanitizer) is not address or thread")
}
let systemMalloc = sanitizer != nil || Context.environment["HAKOGC_SYSTEM_MALLOC"] != nil
// The installed C library (scripts/install-lib.sh) sets HAKOGC_MMAP_PAGES: no jemalloc,
// whose initial-exec TLS cannot be dlopen-ed into a running process; heap pages are
// mapped with mmap (Page.swift says why not posix_memalign). Swift users and the
// benchmarks keep jemalloc.
let mmapPages = !systemMalloc && Context.environment["HAKOGC_MMAP_PAGES"] != nil
let sanitizerDefines: [SwiftSetting] =
    (systemMalloc ? [.define("HAKOGC_SYSTEM_MALLOC")] : []) + (sanitizer == "address" ? [.define("HAKOGC_ASAN")] : [])
let pageDefines: [SwiftSetting] = sanitizerDefines + (mmapPages ? [.define("HAKOGC_MMAP_PAGES")] : [])
// libFuzzer targets (scripts/fuzz.sh, docs/reliability.md): declared only when
// HAKOGC_FUZZ is set, because they have no `main` (libFuzzer's is linked by
// `-sanitize=fuzzer`) and so cannot build in an ordinary `swift build`.
let fuzzing = Context.environment["HAKOGC_FUZZ"] != nil
let fuzzTargets: [Target] = !fuzzing ? [] : [
    .target(name: "FuzzDriver", path: "Fuzz/Sources/FuzzDriver"),
    .executableTarget(
        name: "fuzz-abi", dependencies: ["CrossBoundary", "CHakoGC", "FuzzDriver"], path: "Fuzz/Sources/fuzz-abi",
        swiftSettings: [.unsafeFlags(["-parse-as-library"])]),
    .executableTarget(
        name: "fuzz-registry", dependencies: ["CrossBoundary", "CHakoGC", "FuzzDriver"], path: "Fuzz/Sources/fuzz-registry",
        swiftSettings: [.unsafeFlags(["-parse-as-library"])]),
    .executableTarget(
        name: "fuzz-gcstat", dependencies: ["GcStatKit", "GcProfiler", "FuzzDriver"], path: "Fuzz/Sources/fuzz-gcstat",
        swiftSettings: [.unsafeFlags(["-parse-as-library"])]),
]

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
    // Only gcstat depends on packages (mirrored versions: the env notes); the
    // libraries GcCore, GcTypes, CrossBoundary and GcProfiler depend on none.
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/HdrHistogram/hdrhistogram-swift", from: "0.2.0"),
    ],
    targets: [
        .systemLibrary(
            name: "CJemalloc", pkgConfig: "jemalloc",
            providers: [.apt(["libjemalloc-dev"])]),
        .systemLibrary(
            name: "CUnwind", pkgConfig: "libunwind",
            providers: [.apt(["libunwind-dev"])]),
        .systemLibrary(
            name: "CZlib", pkgConfig: "zlib",
            providers: [.apt(["zlib1g-dev"])]),
        .target(
            name: "GcCore", dependencies: (systemMalloc || mmapPages ? [] : ["CJemalloc"]) + ["CUnwind"],
            swiftSettings: pageDefines),
        .target(name: "GcTypes", dependencies: ["GcCore"]),
        .target(name: "CHakoGC"),
        .target(name: "CrossBoundary", dependencies: ["GcCore", "CHakoGC"]),
        .target(name: "GcProfiler", dependencies: ["GcCore", "CUnwind"]),
        // gcstat's views, a library of their own so that tests reach them.
        .target(
            name: "GcStatKit",
            dependencies: ["GcProfiler", "GcCore", "CZlib", .product(name: "Histogram", package: "hdrhistogram-swift")]),
        .executableTarget(
            name: "gcstat",
            dependencies: ["GcStatKit", "GcProfiler", .product(name: "ArgumentParser", package: "swift-argument-parser")]),
        .executableTarget(name: "hako-demo", dependencies: ["GcTypes", "GcProfiler"]),
        .target(name: "GcTestSupport", dependencies: ["GcCore"], path: "Tests/GcTestSupport"),
        .testTarget(
            name: "GcCoreTests", dependencies: ["GcCore", "GcTestSupport"], swiftSettings: sanitizerDefines),
        .testTarget(name: "GcTypesTests", dependencies: ["GcTypes"]),
        .testTarget(name: "CrossBoundaryTests", dependencies: ["CrossBoundary", "GcCore", "GcTestSupport"]),
        .testTarget(name: "GcProfilerTests", dependencies: ["GcProfiler", "GcCore"]),
        .testTarget(name: "GcStatTests", dependencies: ["GcStatKit", "GcProfiler", "GcCore", "GcTestSupport"], resources: [.copy("Logs")]),
        .testTarget(
            name: "StressTests", dependencies: ["GcCore", "GcTypes", "GcTestSupport"],
            path: "StressTests"),
    ] + fuzzTargets
)
