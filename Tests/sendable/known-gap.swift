// Compiled by scripts/test-sendable.sh, which reports (without failing) whether this
// still compiles. It does with Swift 6.3: region isolation sees a handle made in
// `DefaultHeap.current` as disconnected, so it may be *sent* although its heap stays
// owned by this thread. Documented as outside the safe API (Sendability.swift,
// docs/architecture.md); if a compiler starts refusing it, update those notes.
import GcCore
import GcTypes

struct Leaf: GcObject {
    static let gcType = GcType<Leaf>(name: "hako.sendable-tests/Leaf")
    var x = 0
}

func sentFromTheDefaultHeap() {
    let box = GcBox(Leaf())
    Task.detached { _ = box.value }
}
