// Workload 4: allocation throughput of small objects of mixed sizes, on GcTypes.
// Six kinds of 2, 4, 6, 8, 12 and 16 words; each has a window of W/6 slots, replaced
// round-robin, so W objects stay live and each allocation frees the one it replaces.
// The same algorithm as Benchmarks/peers/alloc_throughput.c (the checksum must match).
// Usage: alloc-throughput-hako [N] [W]
import BenchSupport
import GcCore
import GcTypes

struct K0: GcObject { static let gcType = GcType<K0>(name: "bench/K0"); var a: Int; var z: Int
    init(_ i: Int) { a = i; z = i ^ 0 }; func trace(into t: inout GcTracer) {} }
struct K1: GcObject { static let gcType = GcType<K1>(name: "bench/K1"); var a: Int; var m = (0, 0); var z: Int
    init(_ i: Int) { a = i; z = i ^ 1 }; func trace(into t: inout GcTracer) {} }
struct K2: GcObject { static let gcType = GcType<K2>(name: "bench/K2"); var a: Int; var m = (0, 0, 0, 0); var z: Int
    init(_ i: Int) { a = i; z = i ^ 2 }; func trace(into t: inout GcTracer) {} }
struct K3: GcObject { static let gcType = GcType<K3>(name: "bench/K3"); var a: Int; var m = (0, 0, 0, 0, 0, 0); var z: Int
    init(_ i: Int) { a = i; z = i ^ 3 }; func trace(into t: inout GcTracer) {} }
struct K4: GcObject { static let gcType = GcType<K4>(name: "bench/K4"); var a: Int; var m = (0, 0, 0, 0, 0, 0, 0, 0, 0, 0); var z: Int
    init(_ i: Int) { a = i; z = i ^ 4 }; func trace(into t: inout GcTracer) {} }
struct K5: GcObject { static let gcType = GcType<K5>(name: "bench/K5"); var a: Int; var m = (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0); var z: Int
    init(_ i: Int) { a = i; z = i ^ 5 }; func trace(into t: inout GcTracer) {} }

/// A window of owning references; replacing a slot releases the previous object.
struct Window<T: GcObject>: ~Copyable {
    let slots: UnsafeMutablePointer<GcRc<T>?>
    let count: Int
    init(_ count: Int) {
        self.count = count
        slots = .allocate(capacity: count)
        for i in 0..<count { (slots + i).initialize(to: nil) }
    }
    /// Stores `value` at `slot`; returns the first word of the object it replaced (0 if none).
    @inline(__always)
    mutating func replace(_ slot: Int, with value: consuming GcRc<T>, first: (borrowing T) -> Int) -> Int {
        var old: GcRc<T>? = value
        swap(&old, &slots[slot])
        switch old {
        case .some(let o): return o.with(first)
        case .none: return 0
        }
    }
    deinit {
        slots.deinitialize(count: count)
        slots.deallocate()
    }
}

func arg(_ i: Int, _ d: Int) -> Int { CommandLine.arguments.count > i ? Int(CommandLine.arguments[i])! : d }
let n = arg(1, 20_000_000), w = arg(2, 6000) / 6

func run() {
    let heap = Heap()
    var w0 = Window<K0>(w), w1 = Window<K1>(w), w2 = Window<K2>(w)
    var w3 = Window<K3>(w), w4 = Window<K4>(w), w5 = Window<K5>(w)
    var checksum: UInt64 = 0
    let start = bench_now_ns()
    for i in 0..<n {
        let slot = (i / 6) % w
        let old: Int
        switch i % 6 {
        case 0: old = w0.replace(slot, with: GcRc(K0(i), in: heap)) { $0.a }
        case 1: old = w1.replace(slot, with: GcRc(K1(i), in: heap)) { $0.a }
        case 2: old = w2.replace(slot, with: GcRc(K2(i), in: heap)) { $0.a }
        case 3: old = w3.replace(slot, with: GcRc(K3(i), in: heap)) { $0.a }
        case 4: old = w4.replace(slot, with: GcRc(K4(i), in: heap)) { $0.a }
        default: old = w5.replace(slot, with: GcRc(K5(i), in: heap)) { $0.a }
        }
        checksum &+= UInt64(old)
    }
    // Freeing what is left belongs to the timed span, as in the C peer.
    _ = consume w0; _ = consume w1; _ = consume w2; _ = consume w3; _ = consume w4; _ = consume w5
    let nanos = bench_now_ns() - start
    let stats = heap.statistics()
    print("alloc-throughput hako: \(n) allocations in \(Double(nanos) / 1e9) s, live after \(stats.liveObjects), minor \(stats.minorCollections)")
    print("RESULT total_s=\(Double(nanos) / 1e9) mops=\(Double(n) / (Double(nanos) / 1000)) checksum=\(checksum)")
}
run()
