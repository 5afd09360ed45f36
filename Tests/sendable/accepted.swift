// Compiled by scripts/test-sendable.sh: must compile with no error (the control
// that the harness works). The types GcTypes documents as Sendable stay Sendable.
import GcCore
import GcTypes

struct Leaf: GcObject {
    static let gcType = GcType<Leaf>(name: "hako.sendable-tests/Leaf")
    var x = 0
}

func needsSendableType<T: Sendable & ~Copyable>(_: T.Type) {}

func sendableTypes() {
    needsSendableType(GcType<Leaf>.self)
    needsSendableType(GcFieldLayout.self)
    needsSendableType(ObjectRef.self)
    needsSendableType(WeakReference.self)
    needsSendableType(HeapStatistics.self)
    needsSendableType(HeapConfiguration.self)
    needsSendableType(CollectionEvent.self)
    needsSendableType(TypeDescriptor.self)
}

func oneThread() -> Int {
    let heap = Heap()
    let box = GcBox(Leaf(x: 1), in: heap)
    let rc = box.rc()
    return box.value.x + rc.value.x + GcArray([1, 2], in: heap).count
}
