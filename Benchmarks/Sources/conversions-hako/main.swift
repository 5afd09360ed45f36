// Workload 3 (BENCHMARKS.md): conversions GcArray<Int> ↔ [Int] and GcString ↔ String
// at three sizes each. Per conversion: time, bytes malloc'd (jemalloc's per-thread
// counter, which also sees the heap's pages) and heap bytes allocated. Zero-copy means
// all three stay flat as the size grows. A copying conversion is measured beside it
// as the contrast. Usage: conversions-hako [--quick]
import BenchSupport
import GcCore
import GcTypes

let quick = CommandLine.arguments.contains("--quick")

/// Runs `body` `iterations` times after a warm-up and prints one RESULT line:
/// nanoseconds, malloc bytes and heap bytes per iteration.
func measure(_ heap: Heap, _ kind: String, _ direction: String, size: Int, iterations: Int, _ body: () -> Int) {
    var sink = 0
    for _ in 0..<min(iterations, 100) { sink &+= body() }
    let heapBefore = heap.statistics().allocatedBytes
    let copiesBefore = heap.statistics().conversionCopyBytes
    let mallocBefore = bench_thread_allocated_bytes()
    let start = bench_now_ns()
    for _ in 0..<iterations { sink &+= body() }
    let nanos = bench_now_ns() - start
    let mallocBytes = bench_thread_allocated_bytes() - mallocBefore
    let stats = heap.statistics()
    let n = Double(iterations)
    print("RESULT kind=\(kind) direction=\(direction) size=\(size) iterations=\(iterations) "
        + "ns=\(fmt(Double(nanos) / n)) malloc_bytes=\(fmt(Double(mallocBytes) / n)) "
        + "heap_bytes=\(fmt(Double(stats.allocatedBytes - heapBefore) / n)) "
        + "copy_bytes=\(fmt(Double(stats.conversionCopyBytes - copiesBefore) / n)) sink=\(sink & 1)")
}

func fmt(_ x: Double) -> String {
    let scaled = (x * 1000).rounded() / 1000
    return "\(scaled)"
}

func run() {
let heap = DefaultHeap.current
// The counter must see Swift's own allocations, or "bytes per conversion" means nothing.
let probeBefore = bench_thread_allocated_bytes()
let probe = [Int](repeating: 1, count: 1000)
let mallocCounts = bench_thread_allocated_bytes() - probeBefore >= 8000
print("malloc counter sees Swift allocations: \(mallocCounts) (probe \(probe.count))")

let arraySizes = [10, 10_000, 1_000_000]
let stringSizes = [10, 10_000, 10_000_000]
let iterations = quick ? 20_000 : 200_000

for size in arraySizes {
    let swiftArray = [Int](0..<size)
    let gcArray = GcArray(swiftArray)
    // [Int] → GcArray: one heap object whose payload shares the Swift buffer.
    measure(heap, "array", "to_gc", size: size, iterations: iterations) { GcArray(swiftArray).count }
    // GcArray → [Int]: hands out the shared buffer.
    measure(heap, "array", "to_swift", size: size, iterations: iterations) { gcArray.toArray().count }
    // The contrast: an element-by-element copy, as a boundary without shared storage pays.
    measure(heap, "array", "copy_baseline", size: size, iterations: max(20, iterations * 10 / size)) {
        swiftArray.withUnsafeBufferPointer { Array($0) }.count
    }
}

for size in stringSizes {
    // Native (not small, not bridged) strings: the shared case.
    var swiftString = String(repeating: "a", count: size)
    swiftString.makeContiguousUTF8()
    let gcString = GcString(swiftString)
    measure(heap, "string", "to_gc", size: size, iterations: iterations) { GcString(swiftString).utf8Count }
    measure(heap, "string", "to_swift", size: size, iterations: iterations) { gcString.string.utf8.count }
    measure(heap, "string", "copy_baseline", size: size, iterations: max(20, iterations * 10 / size)) {
        swiftString.utf8.withContiguousStorageIfAvailable { String(decoding: $0, as: UTF8.self) }!.utf8.count
    }
}
heap.collect(.full)
let stats = heap.statistics()
print("heap after: \(stats.liveObjects) live objects, \(stats.conversionCopies) conversion copies")
}
run()
