// Workload 4 on Swift ARC final classes: the same six kinds and windows as
// alloc-throughput-hako and Benchmarks/peers/alloc_throughput.c.
// Usage: alloc-throughput-arc [N] [W]
import BenchSupport

final class K0 { var a: Int; var z: Int; init(_ i: Int) { a = i; z = i ^ 0 } }
final class K1 { var a: Int; var m = (0, 0); var z: Int; init(_ i: Int) { a = i; z = i ^ 1 } }
final class K2 { var a: Int; var m = (0, 0, 0, 0); var z: Int; init(_ i: Int) { a = i; z = i ^ 2 } }
final class K3 { var a: Int; var m = (0, 0, 0, 0, 0, 0); var z: Int; init(_ i: Int) { a = i; z = i ^ 3 } }
final class K4 { var a: Int; var m = (0, 0, 0, 0, 0, 0, 0, 0, 0, 0); var z: Int; init(_ i: Int) { a = i; z = i ^ 4 } }
final class K5 { var a: Int; var m = (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0); var z: Int; init(_ i: Int) { a = i; z = i ^ 5 } }

func arg(_ i: Int, _ d: Int) -> Int { CommandLine.arguments.count > i ? Int(CommandLine.arguments[i])! : d }
let n = arg(1, 20_000_000), w = arg(2, 6000) / 6

func run() {
    var w0 = [K0?](repeating: nil, count: w), w1 = [K1?](repeating: nil, count: w)
    var w2 = [K2?](repeating: nil, count: w), w3 = [K3?](repeating: nil, count: w)
    var w4 = [K4?](repeating: nil, count: w), w5 = [K5?](repeating: nil, count: w)
    var checksum: UInt64 = 0
    let start = bench_now_ns()
    for i in 0..<n {
        let slot = (i / 6) % w
        let old: Int?
        switch i % 6 {
        case 0: old = w0[slot]?.a; w0[slot] = K0(i)
        case 1: old = w1[slot]?.a; w1[slot] = K1(i)
        case 2: old = w2[slot]?.a; w2[slot] = K2(i)
        case 3: old = w3[slot]?.a; w3[slot] = K3(i)
        case 4: old = w4[slot]?.a; w4[slot] = K4(i)
        default: old = w5[slot]?.a; w5[slot] = K5(i)
        }
        checksum &+= UInt64(old ?? 0)
    }
    // Freeing what is left belongs to the timed span, as in the C peer.
    w0 = []; w1 = []; w2 = []; w3 = []; w4 = []; w5 = []
    let nanos = bench_now_ns() - start
    print("alloc-throughput arc: \(n) allocations in \(Double(nanos) / 1e9) s")
    print("RESULT total_s=\(Double(nanos) / 1e9) mops=\(Double(n) / (Double(nanos) / 1000)) checksum=\(checksum)")
}
run()
