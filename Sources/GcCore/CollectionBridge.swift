/// Lets another collector take part in this heap's full collections, so that cycles
/// running through both heaps are found: one marking pass over both (as the V8 /
/// Blink unified heap does), driven from here.
///
/// The protocol, in the order the heap calls it (all on the heap's owner thread,
/// inside `collect(.full)` or an automatic full collection):
///
/// 1. `bridgedReferences()` — the counts that foreign objects hold on heap objects
///    (e.g. pins owned by foreign objects). They are not roots in this collection.
/// 2. `markForeignRoots(_:)` — the foreign side marks from its own roots; for every
///    heap object a marked foreign object holds, it calls `heap.bridgeMark(_:)`.
/// 3. `heapObjectMarked(_:_:)` — for every heap object found live, so the foreign
///    side marks what that object holds on its side (calling `bridgeMark` back for
///    heap objects it reaches). Steps 2–3 repeat until nothing new is marked.
/// 4. `markingFinished(_:)` — marking is complete and the garbage is known but not
///    yet freed: drop the counts of step 1 that belong to foreign objects now dead.
///
/// 5. `collectionFinished(_:)` — the heap has freed its garbage (finalizers first):
///    the foreign side frees what it did not mark. It may release and allocate;
///    collections it asks for are deferred.
///
/// Every full collection runs these steps, automatic ones included. A cycle
/// heap → foreign → heap that neither side's roots reach is freed on both sides;
/// one that either side's roots reach survives.
///
/// Ownership: the heap holds its bridge strongly. Misuse: `bridgeMark` outside
/// steps 2–3 stops the process with a message.
public protocol CollectionBridge: AnyObject {
    func bridgedReferences() -> [(object: ObjectRef, count: Int)]
    func markForeignRoots(_ heap: Heap)
    func heapObjectMarked(_ object: ObjectRef, _ heap: Heap)
    func markingFinished(_ heap: Heap)
    func collectionFinished(_ heap: Heap)
}

extension HeapCore {
    /// Step 2/3 callback: `object` is reachable from the foreign side.
    func bridgeMark(_ object: ObjectRef) {
        misusePrecondition(bridgeMarking, "HakoGC: bridgeMark called outside the marking of a full collection")
        checkSameHeapObject(object)
        if !object.has(ObjectHeader.marked) {
            object.set(ObjectHeader.marked)
            workStack.push(object)
        }
    }

    private func checkSameHeapObject(_ object: ObjectRef) {
        misusePrecondition(Page.of(object).owner == Unmanaged.passUnretained(self).toOpaque(),
                     "HakoGC: bridgeMark of an object of another heap")
    }
}
