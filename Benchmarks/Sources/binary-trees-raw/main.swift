// binary-trees on the raw GcCore API (ObjectRef, explicit retain/release): the floor
// under GcTypes, to show what the typed layer costs.
import GcCore

let nodeType = try! TypeRegistry.shared.register(TypeDescriptor(
    name: "bench/RawNode", payloadSize: 16, referenceOffsets: [0, 8]))

@inline(__always)
func bottomUp(_ depth: Int, _ heap: Heap) -> ObjectRef {
    // Children first: an allocation may collect, and an uninitialized payload must
    // not be traced. Ownership of the fresh children moves into the fields.
    let left = depth == 0 ? 0 : bottomUp(depth - 1, heap).bits
    let right = depth == 0 ? 0 : bottomUp(depth - 1, heap).bits
    let node = try! heap.allocate(nodeType, zeroed: false)
    node.payload.storeBytes(of: left, as: UInt.self)
    node.payload.storeBytes(of: right, toByteOffset: 8, as: UInt.self)
    return node
}

func check(_ node: ObjectRef) -> Int {
    guard let l = ObjectRef(bits: node.payload.load(as: UInt.self)),
          let r = ObjectRef(bits: node.payload.load(fromByteOffset: 8, as: UInt.self)) else { return 1 }
    return 1 + check(l) + check(r)
}

let n = CommandLine.arguments.count > 1 ? Int(CommandLine.arguments[1])! : 10
let maxDepth = max(6, n)
let heap = Heap()
do {
    let stretch = bottomUp(maxDepth + 1, heap)
    print("stretch tree of depth \(maxDepth + 1)\t check: \(check(stretch))")
    heap.release(stretch)
}
let longLived = bottomUp(maxDepth, heap)
var depth = 4
while depth <= maxDepth {
    let iterations = 1 << (maxDepth - depth + 4)
    var total = 0
    for _ in 0..<iterations {
        let t = bottomUp(depth, heap)
        total += check(t)
        heap.release(t)
    }
    print("\(iterations)\t trees of depth \(depth)\t check: \(total)")
    depth += 2
}
print("long lived tree of depth \(maxDepth)\t check: \(check(longLived))")
heap.release(longLived)
