// Compiled by scripts/test-sendable.sh (Swift 6 mode, through SIL so that region
// isolation runs). `Task.detached` takes its closure as `sending`: a non-Sendable
// value may go only if the sender never touches its region again. A handle made
// with `in: heap` shares the heap's region, so each marked line is refused.
import GcCore
import GcTypes

struct Leaf: GcObject {
    static let gcType = GcType<Leaf>(name: "hako.sendable-tests/Leaf")
    var x = 0
}

func sentThenHeapUsed() {
    let heap = Heap()
    let box = GcBox(Leaf(), in: heap)
    Task.detached { _ = box.value }  // refused
    _ = GcBox(Leaf(), in: heap)
}

func sentThenSiblingUsed() {
    let heap = Heap()
    let kept = GcBox(Leaf(), in: heap)
    let sent = GcBox(Leaf(), in: heap)
    Task.detached { _ = sent.value }  // refused
    _ = kept.value
}

func sentWhileCallerKeepsIt(_ box: GcBox<Leaf>) {
    Task.detached { _ = box.value }  // refused
}
