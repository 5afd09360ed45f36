import GcCore
import Glibc
import Synchronization

/// Process-wide table of heap handles (`hgc_heap`), so a destroyed, forged or
/// corrupted heap handle is refused instead of dereferenced. Looked up on every
/// call of the C ABI, without a lock; inserts and removes take a mutex.
///
/// A heap handle is `check(16) << 48 | generation(24) << 24 | (index + 1)(24)`.
/// `check` is the CRC-16 of index and generation (6 bytes) xored with a constant,
/// so every single-bit error in a handle is refused (the CRC differs, or the
/// generation or index does, and the slot's word then does not match; CRC-16/CCITT
/// in fact detects every error of up to 3 bits in these 48 bits). The CRC is
/// computed once, when the handle is issued, and kept in the slot's word: a lookup
/// compares the handle's upper 40 bits with that word, one compare for generation
/// and check together. A slot destroyed at generation 2²⁴ − 1 is retired, never
/// reused, so an old handle never becomes current again.
///
/// Threads: any thread may look up any handle at any time, while other threads
/// create and destroy other heaps. A heap is used (and destroyed) only by the
/// thread the table records as its owner.
///
/// Why a lookup is safe without a lock (the soundness argument):
/// - Slots live in chunks that are allocated once and never freed or moved (chunk
///   `k` holds 64 << k slots; a fixed directory of 19 chunk pointers covers every
///   index a handle can carry). A lookup of any 64-bit number reads only atomic
///   words of such memory, or nothing (index 0, or past the chunks published so far).
/// - A slot is three atomic words: `word` (live: the handle's upper 40 bits, never 0
///   since generations start at 1; never used: 0; free: the next generation, tagged
///   1; retired: 2; so only a live word can equal a handle's upper bits, and a
///   handle whose upper bits are 0 is refused first), `owner` (a `pthread_t`) and
///   `heap` (an `Unmanaged<ForeignHeap>`'s bits, +1 owned by the table while live).
///   A lookup reads `word` (acquire), then `owner` and `heap` (acquire), then `word`
///   again, seqlock style: a remove stores the new `word`, then a release fence,
///   then clears `owner` and `heap` (and an insert writes `owner` and `heap` before
///   storing the live `word` with release). So if the second read equals the first
///   and matches the handle, `owner` and `heap` are the ones of that generation:
///   words never repeat (generations only grow, and retire instead of wrapping).
/// - The lookup never turns `heap` into a reference, never retains or releases it:
///   it returns the bits only if `owner` is the calling thread. Only the owner
///   removes a heap (`hgc_heap_destroy` goes through this same check), so the
///   object cannot be freed while its owner's call runs; and `remove` hands the
///   table's +1 back to the caller, which releases it after the destroy call is done
///   with the object. A thread that is not the owner learns "wrong thread" from the
///   slot's words alone and never touches the object, however the owner races it.
/// - `transfer` (a non-owner thread asks for the heap) takes the mutex and retains
///   the object there, so it cannot race a remove.
/// (The rules that were the caller's before still are: `hgc_heap_transfer` only
/// once the previous owner has stopped using the heap.)
///
/// Measured with callgrind (docs/performance.md, "The C ABI per call"): the locked
/// table cost ~100 instructions per call in the mutex, ~115 in exclusivity checks
/// and a retain/release pair; this lookup is ~40 instructions and no atomic RMW.
enum HeapTable {
    /// One heap's slot. `~Copyable`: it lives at a fixed address in its chunk.
    struct Slot: ~Copyable {
        let word = Atomic<UInt64>(0)   // 0: never used (free, generation 1)
        let owner = Atomic<UInt>(0)
        let heap = Atomic<UInt>(0)
    }

    static let indexBits = 24
    static let indexMask: UInt64 = (1 << 24) - 1
    static let generationLimit: UInt64 = (1 << 24) - 1
    /// Slots a handle can name (index + 1 fits in 24 bits).
    static let capacity = (1 << 24) - 1
    static let firstChunkShift = 6     // chunk 0 holds 64 slots
    static let chunkCount = 19         // chunks 0...18 cover `capacity`
    private static let salt: UInt16 = 0xC0DE
    private static let retiredWord: UInt64 = 2

    /// The chunk directory's address (0 until the first insert); the directory holds
    /// `chunkCount` atomic chunk addresses (0 until that chunk is needed). Neither is
    /// ever freed. A global `Atomic` with a constant initial value: no lazy
    /// initialization (`swift_once`) on the lookup path.
    private static let directory = Atomic<UInt>(0)

    /// What the mutex guards: slots never used so far start at `used`; `free` holds
    /// destroyed slots that may be reused.
    private struct State {
        var used = 0
        var free: [Int] = []
        /// Slots that may be handed out: `capacity`, lowered by the test hook.
        var limit = HeapTable.capacity
    }
    private static let state = ProcessLock(State())

    enum Lookup {
        /// The calling thread's heap (+0: valid for the call; see the type's comment).
        case owned(Unmanaged<ForeignHeap>)
        case wrongThread
        /// Destroyed, never issued, forged or corrupted.
        case destroyed
    }

    // MARK: Lookup (any thread, no lock)

    /// The slot `index` (0-based) names, if its chunk has been published.
    @inline(__always)
    private static func slot(_ index: Int) -> UnsafeMutablePointer<Slot>? {
        // Chunk k covers [64·(2^k − 1), 64·(2^(k+1) − 1)): shift by 64 and take the
        // highest bit.
        let shifted = index + (1 << firstChunkShift)
        let k = (Int.bitWidth - 1 - shifted.leadingZeroBitCount) - firstChunkShift
        // SAFETY: the directory and chunks, once published (release), are never freed
        // or moved; a 0 means "not published yet" and names no slot.
        guard let dir = UnsafeMutablePointer<Atomic<UInt>>(bitPattern: directory.load(ordering: .acquiring)),
              let chunk = UnsafeMutablePointer<Slot>(bitPattern: dir[k].load(ordering: .acquiring))
        else { return nil }
        return chunk + (shifted - (1 << (firstChunkShift + k)))
    }

    /// The heap `handle` names, if it is the calling thread's (`thread`: pthread_self()).
    @inline(__always)
    static func lookup(_ handle: UInt64, thread: pthread_t) -> Lookup {
        let low = handle & indexMask
        let expected = handle & ~indexMask
        // expected == 0 (generation 0) is never issued, and must not match the 0 of a
        // slot never used: found by abi_heap_threads_test, where a small number read
        // a slot while its first heap was being inserted and got WRONG_THREAD.
        guard low != 0, expected != 0, let slot = slot(Int(low - 1)) else { return .destroyed }
        let first = slot.pointee.word.load(ordering: .acquiring)
        guard first == expected else { return .destroyed }
        // Acquire loads: the second read of `word` below cannot move before them.
        let owner = slot.pointee.owner.load(ordering: .acquiring)
        let bits = slot.pointee.heap.load(ordering: .acquiring)
        guard slot.pointee.word.load(ordering: .relaxed) == first,
              let heap = UnsafeRawPointer(bitPattern: bits) else { return .destroyed }
        // glibc's pthread_equal is ==.
        guard owner == thread else { return .wrongThread }
        return .owned(Unmanaged<ForeignHeap>.fromOpaque(heap))
    }

    // MARK: Insert, remove, transfer (any thread, under the mutex)

    /// The check bits of (index, generation).
    static func check(_ index: Int, _ generation: UInt64) -> UInt16 {
        HandleTable.crc16(word: UInt64(index) | generation << 24, bytes: 6) ^ salt
    }

    /// The slot word of a live heap: its handle without the index.
    private static func liveWord(_ index: Int, _ generation: UInt64) -> UInt64 {
        UInt64(check(index, generation)) << 48 | generation << 24
    }

    /// A handle for `heap`, owned by the calling thread; the table keeps one count.
    /// Nil when every slot is live or retired (2²⁴ − 1 heaps alive at once, or about
    /// 2⁴⁸ created): `hgc_heap_create` reports OUT_OF_MEMORY.
    static func insert(_ heap: ForeignHeap) -> UInt64? {
        state.withLock { state -> UInt64? in
            let index: Int
            if let reused = state.free.popLast() {
                index = reused
            } else {
                guard state.used < state.limit else { return nil }
                index = state.used
                state.used += 1
            }
            let slot = publishedSlot(index)
            let word = slot.pointee.word.load(ordering: .relaxed)
            let generation = word == 0 ? 1 : word >> 24
            slot.pointee.owner.store(pthread_self(), ordering: .relaxed)
            slot.pointee.heap.store(UInt(bitPattern: Unmanaged.passRetained(heap).toOpaque()), ordering: .relaxed)
            let live = liveWord(index, generation)
            slot.pointee.word.store(live, ordering: .releasing)
            return live | UInt64(index + 1)
        }
    }

    /// Test hook: lets only `extra` more slots be handed out than are now (a child
    /// process fills the table with it; the real limit is 2²⁴ − 1).
    static func limitFreshSlots(to extra: Int) {
        state.withLock { state in state.limit = min(capacity, state.used + extra) }
    }

    /// Test hook: moves the live heap `handle` names to the last generation its
    /// slot can have, and returns the handle that names it now (`handle` is stale).
    static func ageToLastGeneration(_ handle: UInt64) -> UInt64 {
        state.withLock { _ in
            let index = Int(handle & indexMask) - 1
            let live = liveWord(index, generationLimit)
            publishedSlot(index).pointee.word.store(live, ordering: .releasing)
            return live | UInt64(index + 1)
        }
    }

    /// Removes a live heap (the caller checked `handle`: its owner thread, through
    /// `lookup`). Its handles are refused from now on. Returns the table's count on
    /// the object: the caller releases it once it no longer uses the object. Nil if
    /// the handle is no longer live (only after a misuse: another thread transferred
    /// and destroyed the heap meanwhile).
    static func remove(_ handle: UInt64) -> Unmanaged<ForeignHeap>? {
        state.withLock { state in
            let index = Int(handle & indexMask) - 1
            let slot = publishedSlot(index)
            guard slot.pointee.word.load(ordering: .relaxed) == handle & ~indexMask else { return nil }
            let generation = (handle >> 24) & generationLimit
            let retired = generation == generationLimit
            slot.pointee.word.store(retired ? retiredWord : (generation + 1) << 24 | 1, ordering: .relaxed)
            // Seqlock writer: the new word is visible before the cleared fields (see
            // the type's comment).
            atomicMemoryFence(ordering: .releasing)
            let heap = slot.pointee.heap.exchange(0, ordering: .relaxed)
            slot.pointee.owner.store(0, ordering: .relaxed)
            if !retired { state.free.append(index) }
            return Unmanaged<ForeignHeap>.fromOpaque(UnsafeRawPointer(bitPattern: heap)!)
        }
    }

    /// Makes the calling thread the owner of the live heap `handle` names; returns
    /// the heap (+1, the caller releases it) or nil if the handle is not live.
    static func transfer(_ handle: UInt64) -> Unmanaged<ForeignHeap>? {
        state.withLock { _ in
            let low = handle & indexMask
            guard low != 0, handle & ~indexMask != 0, let slot = slot(Int(low - 1)),
                  slot.pointee.word.load(ordering: .relaxed) == handle & ~indexMask,
                  let bits = UnsafeRawPointer(bitPattern: slot.pointee.heap.load(ordering: .relaxed))
            else { return nil }
            slot.pointee.owner.store(pthread_self(), ordering: .releasing)
            return Unmanaged<ForeignHeap>.fromOpaque(bits).retain()
        }
    }

    /// The slot `index`, publishing its chunk (and the directory) first if needed.
    /// Under the mutex.
    private static func publishedSlot(_ index: Int) -> UnsafeMutablePointer<Slot> {
        if directory.load(ordering: .relaxed) == 0 {
            let dir = UnsafeMutablePointer<Atomic<UInt>>.allocate(capacity: chunkCount)
            for k in 0..<chunkCount { (dir + k).initialize(to: Atomic(0)) }
            directory.store(UInt(bitPattern: dir), ordering: .releasing)
        }
        if let slot = slot(index) { return slot }
        let shifted = index + (1 << firstChunkShift)
        let k = (Int.bitWidth - 1 - shifted.leadingZeroBitCount) - firstChunkShift
        let count = 1 << (firstChunkShift + k)
        let chunk = UnsafeMutablePointer<Slot>.allocate(capacity: count)
        for i in 0..<count { (chunk + i).initialize(to: Slot()) }
        let dir = UnsafeMutablePointer<Atomic<UInt>>(bitPattern: directory.load(ordering: .relaxed))!
        dir[k].store(UInt(bitPattern: chunk), ordering: .releasing)
        return slot(index)!
    }
}
