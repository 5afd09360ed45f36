/// A weak reference: a slot index and the slot's generation when it was made.
///
/// Ownership: a plain value; it keeps nothing alive and can be copied freely. It
/// upgrades to a strong reference only while its target lives (`Heap.upgrade`); once
/// the target dies the slot is cleared and its generation bumped, so an old
/// `WeakReference` can never reach a freed object or a later object in the same slot.
/// Thread rule: upgrade it on the thread that owns its heap.
public struct WeakReference: Hashable, Sendable {
    /// Index of the heap's weak slot.
    public let slot: UInt32
    /// The slot's generation when this reference was made (never 0).
    public let generation: UInt32

    /// Rebuilds a reference from its two numbers (e.g. decoded from a C handle). A
    /// stale or out-of-range pair upgrades to nil, never to a freed object; a forged
    /// pair that matches a slot's current generation upgrades to that slot's target.
    public init(slot: UInt32, generation: UInt32) {
        self.slot = slot
        self.generation = generation
    }
}

/// The heap's weak slots. One slot per target object, shared by every weak
/// reference to it; the object's header has HAS_WEAK while the slot exists.
///
/// A cleared slot is reused with its generation bumped, until the generation
/// reaches `generationLimit`: then the slot is retired (never reused), because a
/// generation that wrapped would make old references current again. Slots at or
/// above `slotLimit` are retired when cleared too (see HeapConfiguration): a new
/// slot is appended only when no cleared slot is free.
final class WeakTable {
    private struct Slot {
        var target: UInt  // object address, 0 when cleared
        var generation: UInt32
    }
    private var slots: [Slot] = []
    private var freeSlots: [UInt32] = []
    private var slotOfObject: [UInt: UInt32] = [:]
    /// The last generation a slot may have (HeapConfiguration.weakGenerationLimit).
    let generationLimit: UInt32
    /// Slots from this index on are never reused (HeapConfiguration.weakSlotLimit).
    let slotLimit: UInt32

    init(generationLimit: UInt32 = .max, slotLimit: UInt32 = .max) {
        self.generationLimit = generationLimit
        self.slotLimit = slotLimit
    }

    var count: Int { slotOfObject.count }

    func reference(to object: ObjectRef) -> WeakReference {
        if object.has(ObjectHeader.hasWeak), let index = slotOfObject[object.bits] {
            return WeakReference(slot: index, generation: slots[Int(index)].generation)
        }
        let index: UInt32
        if let reused = freeSlots.popLast() {
            index = reused
            slots[Int(index)].target = object.bits
        } else {
            index = UInt32(slots.count)
            slots.append(Slot(target: object.bits, generation: 1))
        }
        slotOfObject[object.bits] = index
        object.set(ObjectHeader.hasWeak)
        return WeakReference(slot: index, generation: slots[Int(index)].generation)
    }

    /// The target if the reference is current and its target alive (not dying).
    func target(of ref: WeakReference) -> ObjectRef? {
        let i = Int(ref.slot)
        guard i < slots.count, slots[i].generation == ref.generation,
              let object = ObjectRef(bits: slots[i].target),
              !object.has(ObjectHeader.dying) else { return nil }
        return object
    }

    /// Calls `body` with the target address of every slot in use (the verifier's).
    func forEachTarget(_ body: (UInt) -> Void) {
        for address in slotOfObject.keys { body(address) }
        for (i, slot) in slots.enumerated() where slot.target != 0 && slotOfObject[slot.target] != UInt32(i) {
            body(slot.target)  // a slot the object map lost: reported as without HAS_WEAK or dead
        }
    }

    /// Clears the slot of a dying object; every weak reference to it now reads nil.
    func clear(_ object: ObjectRef) {
        object.clear(ObjectHeader.hasWeak)
        guard let index = slotOfObject.removeValue(forKey: object.bits) else { return }
        slots[Int(index)].target = 0
        // Every generation used: reuse would make old references current again.
        guard slots[Int(index)].generation < generationLimit, index < slotLimit else { return }
        slots[Int(index)].generation += 1
        freeSlots.append(index)
    }
}
