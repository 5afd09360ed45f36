// binary-trees (Benchmarks Game rules) on HakoGC's public typed API (GcTypes).
import GcCore
import GcTypes

struct Node: GcObject, ~Copyable {
    // Only GcRc fields and no deinit: the heap releases and traces them itself.
    static let gcType = GcType<Node>(name: "bench/Node", fields: .referencesOnly)
    var left: GcRc<Node>?
    var right: GcRc<Node>?
    func trace(into tracer: inout GcTracer) { tracer.visit(left); tracer.visit(right) }
}

func bottomUp(_ depth: Int, _ heap: Heap) -> GcRc<Node> {
    if depth == 0 { return GcRc(Node(), in: heap) }
    return GcRc(Node(left: bottomUp(depth - 1, heap), right: bottomUp(depth - 1, heap)), in: heap)
}

func check(_ node: borrowing GcRc<Node>) -> Int {
    node.with { n in
        switch n.left {
        case .some(let l):
            switch n.right {
            case .some(let r): return 1 + check(l) + check(r)
            case .none: return 1 + check(l)
            }
        case .none: return 1
        }
    }
}

let n = CommandLine.arguments.count > 1 ? Int(CommandLine.arguments[1])! : 10
let maxDepth = max(6, n)
let heap = Heap()
do {
    let stretch = bottomUp(maxDepth + 1, heap)
    print("stretch tree of depth \(maxDepth + 1)\t check: \(check(stretch))")
}
let longLived = bottomUp(maxDepth, heap)
var depth = 4
while depth <= maxDepth {
    let iterations = 1 << (maxDepth - depth + 4)
    var total = 0
    for _ in 0..<iterations { total += check(bottomUp(depth, heap)) }
    print("\(iterations)\t trees of depth \(depth)\t check: \(total)")
    depth += 2
}
print("long lived tree of depth \(maxDepth)\t check: \(check(longLived))")
if CommandLine.arguments.contains("--stats") { print(heap.statistics()) }
