// Compiled by scripts/test-sendable.sh in Swift 6 mode against the built GcCore and
// GcTypes modules. Every line marked `refused` must get a Sendable / data-race
// error, and no other line may get an error: the handle and payload types are not
// Sendable (Sources/GcTypes/Sendability.swift).
import GcCore
import GcTypes

struct Leaf: GcObject {
    static let gcType = GcType<Leaf>(name: "hako.sendable-tests/Leaf")
    var x = 0
}

func needsSendable<T: Sendable & ~Copyable>(_: borrowing T) {}
func needsSendableType<T: Sendable & ~Copyable>(_: T.Type) {}
func onAnotherThread(_ body: @escaping @Sendable () -> Void) {}

func genericRequirement(
    rc: borrowing GcRc<Leaf>, weak: GcWeak<Leaf>, box: GcBox<Leaf>, array: GcArray<Int>,
    string: GcString, refs: GcRefArray<Leaf>, heap: Heap
) {
    needsSendable(rc)  // refused
    needsSendable(weak)  // refused
    needsSendable(box)  // refused
    needsSendable(array)  // refused
    needsSendable(string)  // refused
    needsSendable(refs)  // refused
    needsSendable(heap)  // refused
    needsSendableType(GcArrayStorage<Int>.self)  // refused
    needsSendableType(GcStringStorage.self)  // refused
    needsSendableType(GcRefArrayStorage<Leaf>.self)  // refused
    needsSendableType(GcValue<Int>.self)  // refused
}

func sendableClosures(weak: GcWeak<Leaf>, box: GcBox<Leaf>, array: GcArray<Int>, string: GcString, refs: GcRefArray<Leaf>) {
    onAnotherThread { _ = box.value }  // refused
    onAnotherThread { _ = weak.upgrade() }  // refused
    onAnotherThread { _ = array.count }  // refused
    onAnotherThread { _ = string.count }  // refused
    onAnotherThread { _ = refs.count }  // refused
}

func movedIntoSendableClosure(_ rc: consuming GcRc<Leaf>) {
    onAnotherThread { [rc = consume rc] in _ = rc.value }  // refused
}
