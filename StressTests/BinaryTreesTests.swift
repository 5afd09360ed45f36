import GcCore
import GcTypes
import Testing

/// Workload 1 (binary-trees, Benchmarks Game rules) on the public GcTypes API, in the
/// optimized stress build: the printed text must be the reference output, and the
/// heap must end empty with nothing left to a collector.
struct BTNode: GcObject, ~Copyable {
    static let gcType = GcType<BTNode>(name: "hako.stress/BTNode")
    var left: GcRc<BTNode>?
    var right: GcRc<BTNode>?
    func trace(into tracer: inout GcTracer) { tracer.visit(left); tracer.visit(right) }
}

@Suite struct BinaryTreesTests {
    static func bottomUp(_ depth: Int, _ heap: Heap) -> GcRc<BTNode> {
        depth == 0 ? GcRc(BTNode(), in: heap)
            : GcRc(BTNode(left: bottomUp(depth - 1, heap), right: bottomUp(depth - 1, heap)), in: heap)
    }

    static func check(_ node: borrowing GcRc<BTNode>) -> Int {
        node.with { n in
            var count = 1
            switch n.left { case .some(let l): count += check(l); case .none: break }
            switch n.right { case .some(let r): count += check(r); case .none: break }
            return count
        }
    }

    /// The reference text, from the closed form: a tree of depth d has 2^(d+1) − 1 nodes.
    static func referenceOutput(_ n: Int) -> [String] {
        let maxDepth = max(6, n)
        var lines = ["stretch tree of depth \(maxDepth + 1)\t check: \((1 << (maxDepth + 2)) - 1)"]
        for depth in stride(from: 4, through: maxDepth, by: 2) {
            let iterations = 1 << (maxDepth - depth + 4)
            lines.append("\(iterations)\t trees of depth \(depth)\t check: \(iterations * ((1 << (depth + 1)) - 1))")
        }
        lines.append("long lived tree of depth \(maxDepth)\t check: \((1 << (maxDepth + 1)) - 1)")
        return lines
    }

    @Test func printsTheReferenceOutput() {
        let n = 14
        let maxDepth = max(6, n)
        let heap = Heap()
        var lines: [String] = []
        do {
            let stretch = Self.bottomUp(maxDepth + 1, heap)
            lines.append("stretch tree of depth \(maxDepth + 1)\t check: \(Self.check(stretch))")
        }
        let longLived = Self.bottomUp(maxDepth, heap)
        for depth in stride(from: 4, through: maxDepth, by: 2) {
            let iterations = 1 << (maxDepth - depth + 4)
            var total = 0
            for _ in 0..<iterations { total += Self.check(Self.bottomUp(depth, heap)) }
            lines.append("\(iterations)\t trees of depth \(depth)\t check: \(total)")
        }
        lines.append("long lived tree of depth \(maxDepth)\t check: \(Self.check(longLived))")
        #expect(lines == Self.referenceOutput(n))
        #expect(lines.first == "stretch tree of depth 15\t check: 65535")
        _ = consume longLived
        let s = heap.statistics()
        #expect(s.liveObjects == 0 && s.allocatedObjects == s.freedObjects)
        #expect(s.freedByCollector == 0, "binary-trees makes no cycles: counting frees everything")
    }
}
