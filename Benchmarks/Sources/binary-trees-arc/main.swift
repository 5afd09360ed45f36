// binary-trees with Swift final classes under ARC ("ownership mode").
final class Node {
    let left: Node?
    let right: Node?
    init(_ left: Node?, _ right: Node?) { self.left = left; self.right = right }
    func check() -> Int {
        guard let left, let right else { return 1 }
        return 1 + left.check() + right.check()
    }
}

func bottomUp(_ depth: Int) -> Node {
    depth == 0 ? Node(nil, nil) : Node(bottomUp(depth - 1), bottomUp(depth - 1))
}

let n = CommandLine.arguments.count > 1 ? Int(CommandLine.arguments[1])! : 10
let maxDepth = max(6, n)
print("stretch tree of depth \(maxDepth + 1)\t check: \(bottomUp(maxDepth + 1).check())")
let longLived = bottomUp(maxDepth)
var depth = 4
while depth <= maxDepth {
    let iterations = 1 << (maxDepth - depth + 4)
    var total = 0
    for _ in 0..<iterations { total += bottomUp(depth).check() }
    print("\(iterations)\t trees of depth \(depth)\t check: \(total)")
    depth += 2
}
print("long lived tree of depth \(maxDepth)\t check: \(longLived.check())")
