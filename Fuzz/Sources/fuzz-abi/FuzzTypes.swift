import CHakoGC
import CrossBoundary

// The types the ABI fuzzer allocates, registered once per process through the C
// ABI, and their callbacks. Every callback reports to the running `Harness`.
//
// Payload word 0 (both types): the model's object id (bits 0-31), the
// misbehaviour the object's callbacks act out (bits 32-39, `Misbehaviour`) and the
// harness's heap slot (bits 40-47).

enum FuzzType {
    /// "fuzz.abi/Node": 32 bytes, three reference slots at 8, 16, 24; a finalizer
    /// and a to_string.
    nonisolated(unsafe) static var node: UInt64 = 0
    /// "fuzz.abi/Leaf": 8 bytes, no slots, declared acyclic; a finalizer only.
    nonisolated(unsafe) static var leaf: UInt64 = 0
    static let nodeSlots = 3
    static let nodeSize: UInt64 = 32
    static let leafSize: UInt64 = 8

    static func register() {
        guard node == 0 else { return }
        let offsets = UnsafeMutablePointer<UInt32>.allocate(capacity: 3)
        offsets[0] = 8; offsets[1] = 16; offsets[2] = 24
        var vtable = hgc_vtable()
        vtable.size = UInt32(MemoryLayout<hgc_vtable>.size)
        vtable.payload_size = nodeSize
        vtable.reference_offsets = UnsafePointer(offsets)
        vtable.reference_count = 3
        vtable.finalize = { payload, _ in Harness.current.finalized(payload!) }
        vtable.to_string = { payload, buffer, capacity, _ in Harness.current.describe(payload!, buffer, capacity) }
        precondition(CrossBoundary.hgc_register_type("fuzz.abi/Node", &vtable, &node) == HGC_OK)
        offsets.deallocate()  // the registry keeps a copy
        var leafTable = hgc_vtable()
        leafTable.size = UInt32(MemoryLayout<hgc_vtable>.size)
        leafTable.flags = UInt32(HGC_VTABLE_ACYCLIC)
        leafTable.payload_size = leafSize
        leafTable.finalize = { payload, _ in Harness.current.finalized(payload!) }
        precondition(CrossBoundary.hgc_register_type("fuzz.abi/Leaf", &leafTable, &leaf) == HGC_OK)
    }
}

/// What an object's callbacks do besides their job (payload word 0, bits 32-39).
enum Misbehaviour: UInt8 {
    case none = 0
    /// The finalizer asks for a full collection: `REENTRANT` (deferred).
    case collects
    /// The finalizer destroys its own heap: `REENTRANT`.
    case destroysHeap
    /// The finalizer allocates a leaf and releases it.
    case allocates
    /// to_string returns an impossible length (SIZE_MAX): `NOT_APPLICABLE`.
    case liesAboutLength
    /// to_string asks for a minor collection while the heap runs it.
    case collectsInToString

    static let count: UInt8 = 6
}

struct PayloadWord {
    var id: Int
    var misbehaviour: Misbehaviour
    var heapSlot: Int

    init(id: Int, misbehaviour: Misbehaviour, heapSlot: Int) {
        (self.id, self.misbehaviour, self.heapSlot) = (id, misbehaviour, heapSlot)
    }

    init(_ word: UInt64) {
        id = Int(word & 0xFFFF_FFFF)
        misbehaviour = Misbehaviour(rawValue: UInt8(truncatingIfNeeded: word >> 32)) ?? .none
        heapSlot = Int((word >> 40) & 0xFF)
    }

    var word: UInt64 { UInt64(id) | UInt64(misbehaviour.rawValue) << 32 | UInt64(heapSlot) << 40 }
}
