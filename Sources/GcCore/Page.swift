#if HAKOGC_SYSTEM_MALLOC || HAKOGC_MMAP_PAGES
import Glibc
#else
import CJemalloc  // its module map links jemalloc, which becomes the process malloc
#endif

// A page: 64 KiB of heap memory, 64 KiB aligned, so `address & ~0xFFFF` of any object
// header finds its page. Small pages hold slots of one size class; a large page holds
// one object (its block may be longer than 64 KiB, but the header sits in the first 64).
//
// Page header (the first 64 bytes):
//
// | offset | size | field        | meaning                                              |
// |--------|------|--------------|------------------------------------------------------|
// | 0      | 8    | owner        | the HeapCore that owns the page (unretained)         |
// | 8      | 8    | freeList     | first free slot (its word 1 links the next), or 0    |
// | 16     | 4    | bump         | offset of the next never-used slot                   |
// | 20     | 4    | end          | offset past the last slot                            |
// | 24     | 4    | slotSize     | bytes per slot, header included                      |
// | 28     | 2    | sizeClass    | index into SizeClasses                               |
// | 30     | 1    | kind         | bit 0: large (else small); bit 1: holds a sampled     |
// |        |      |              | object (`holdsSample`, the profiler's)                |
// | 31     | 1    | room         | 0 unlisted, 1 on its class's list of pages with room, |
// |        |      |              | 2 the class's current page (see `Page.Room`)          |
// | 32     | 4    | liveCount    | allocated slots                                      |
// | 36     | 4    | pageIndex    | position in the heap's list of all pages             |
// | 40     | 8    | nextAvailable| next page with room in this size class, or 0         |
// | 48     | 8    | prevAvailable| previous one, or 0                                   |
// | 56     | 8    | blockBytes   | bytes obtained from the system for this page         |

@usableFromInline
struct Page: Equatable {
    // Computed, not `static let`: a stored static is reached through an addressor
    // (and swift_once) at every use outside this module.
    @inlinable static var size: Int { 1 << 16 }
    @inlinable static var mask: UInt { 0xFFFF }
    @inlinable static var headerSize: Int { 64 }

    @usableFromInline let base: UnsafeMutableRawPointer

    @inlinable init(_ base: UnsafeMutableRawPointer) { self.base = base }

    @inlinable
    init?(bits: UInt) {
        guard let p = UnsafeMutableRawPointer(bitPattern: bits) else { return nil }
        base = p
    }

    /// The page that holds `object`'s header.
    @inlinable
    static func of(_ object: ObjectRef) -> Page {
        // SAFETY: every object header lies in the first 64 KiB of its page block.
        Page(UnsafeMutableRawPointer(bitPattern: object.bits & ~mask).unsafelyUnwrapped)
    }

    @inlinable var bits: UInt { UInt(bitPattern: base) }

    // SAFETY: the fields below are the header bytes of a page this heap owns.
    @inlinable var owner: UnsafeMutableRawPointer {
        get { base.load(as: UnsafeMutableRawPointer.self) }
        nonmutating set { base.storeBytes(of: newValue, as: UnsafeMutableRawPointer.self) }
    }
    @inlinable var freeList: UInt {
        get { base.load(fromByteOffset: 8, as: UInt.self) }
        nonmutating set { base.storeBytes(of: newValue, toByteOffset: 8, as: UInt.self) }
    }
    @inlinable var bump: UInt32 {
        get { base.load(fromByteOffset: 16, as: UInt32.self) }
        nonmutating set { base.storeBytes(of: newValue, toByteOffset: 16, as: UInt32.self) }
    }
    @inlinable var end: UInt32 {
        get { base.load(fromByteOffset: 20, as: UInt32.self) }
        nonmutating set { base.storeBytes(of: newValue, toByteOffset: 20, as: UInt32.self) }
    }
    @inlinable var slotSize: UInt32 {
        get { base.load(fromByteOffset: 24, as: UInt32.self) }
        nonmutating set { base.storeBytes(of: newValue, toByteOffset: 24, as: UInt32.self) }
    }
    @inlinable var sizeClass: Int {
        get { Int(base.load(fromByteOffset: 28, as: UInt16.self)) }
        nonmutating set { base.storeBytes(of: UInt16(newValue), toByteOffset: 28, as: UInt16.self) }
    }
    /// Bit 0 of `kind`. Setting it clears the other bits (a page being set up).
    @inlinable var isLarge: Bool {
        get { base.load(fromByteOffset: 30, as: UInt8.self) & 1 != 0 }
        nonmutating set { base.storeBytes(of: newValue ? 1 : 0, toByteOffset: 30, as: UInt8.self) }
    }
    /// Bit 1 of `kind`: the page holds (or held) an object the profiler sampled.
    /// Every free in it then takes `SizeClassAllocator.freeSlow`, which tells the
    /// profiler (`kindAndRoom` no longer has a zero low byte): the inline free path
    /// pays nothing for profiling. Cleared when the page is set up again.
    @inlinable var holdsSample: Bool {
        get { base.load(fromByteOffset: 30, as: UInt8.self) & 2 != 0 }
        nonmutating set {
            let kind = base.load(fromByteOffset: 30, as: UInt8.self)
            base.storeBytes(of: newValue ? kind | 2 : kind & ~2, toByteOffset: 30, as: UInt8.self)
        }
    }
    /// Where a small page stands for allocation. A slot freed in a `listed` or
    /// `current` page needs no list update, which is what `SizeClassAllocator.free`'s
    /// inline path checks (with `kind`) in one 16-bit load.
    @usableFromInline
    enum Room: UInt8 {
        /// Full when last looked at: not on any list, not current.
        case unlisted = 0
        /// On its size class's list of pages with room.
        case listed = 1
        /// Its size class's current page (allocation takes from it first).
        case current = 2
    }
    @inlinable var room: Room {
        get { Room(rawValue: base.load(fromByteOffset: 31, as: UInt8.self)).unsafelyUnwrapped }
        nonmutating set { base.storeBytes(of: newValue.rawValue, toByteOffset: 31, as: UInt8.self) }
    }
    @inlinable var inAvailable: Bool { room == .listed }
    /// Bytes 30–31 (`kind`, `room`): at least 0x100 with a zero low byte exactly when
    /// the page is small and listed or current.
    @inlinable var kindAndRoom: UInt16 { base.load(fromByteOffset: 30, as: UInt16.self) }
    @inlinable var liveCount: UInt32 {
        get { base.load(fromByteOffset: 32, as: UInt32.self) }
        nonmutating set { base.storeBytes(of: newValue, toByteOffset: 32, as: UInt32.self) }
    }
    @inlinable var pageIndex: Int {
        get { Int(base.load(fromByteOffset: 36, as: UInt32.self)) }
        nonmutating set { base.storeBytes(of: UInt32(newValue), toByteOffset: 36, as: UInt32.self) }
    }
    @inlinable var nextAvailable: UInt {
        get { base.load(fromByteOffset: 40, as: UInt.self) }
        nonmutating set { base.storeBytes(of: newValue, toByteOffset: 40, as: UInt.self) }
    }
    @inlinable var prevAvailable: UInt {
        get { base.load(fromByteOffset: 48, as: UInt.self) }
        nonmutating set { base.storeBytes(of: newValue, toByteOffset: 48, as: UInt.self) }
    }
    @inlinable var blockBytes: Int {
        get { Int(base.load(fromByteOffset: 56, as: UInt64.self)) }
        nonmutating set { base.storeBytes(of: UInt64(newValue), toByteOffset: 56, as: UInt64.self) }
    }

    /// Pops a free slot or bumps; nil when the page is full.
    @inlinable @inline(__always)
    func takeSlot() -> ObjectRef? {
        let head = freeList
        if head != 0 {
            let slot = ObjectRef(bits: head).unsafelyUnwrapped
            assert(head & ~Page.mask == bits && Int(head &- bits) < Int(bump) && slot.bits0 == 0,
                   "free-list entry 0x\(String(head, radix: 16)) is not a free slot of page 0x\(String(bits, radix: 16))")
            freeList = UInt(truncatingIfNeeded: slot.bits1)
            liveCount &+= 1
            AddressSanitizer.unpoison(slot.address, bytes: Int(slotSize))
            return slot
        }
        let offset = bump
        let size = slotSize
        if offset &+ size <= end {
            bump = offset &+ size
            liveCount &+= 1
            AddressSanitizer.unpoison(base + Int(offset), bytes: Int(size))
            return ObjectRef(base + Int(offset))
        }
        return nil
    }

    /// Puts a slot back on the free list and marks it free (word 0 = 0).
    @inlinable @inline(__always)
    func returnSlot(_ slot: ObjectRef) {
        assert(slot.bits & ~Page.mask == bits && slot.bits0 != 0 && liveCount > 0,
               "returning 0x\(String(slot.bits, radix: 16)), not an allocated slot of page 0x\(String(bits, radix: 16))")
        slot.bits0 = 0
        slot.bits1 = UInt64(freeList)
        freeList = slot.bits
        liveCount &-= 1
        // The header stays readable: page walks and the free list read it.
        AddressSanitizer.poison(slot.payload, bytes: Int(slotSize) &- ObjectHeader.size)
    }

    /// Slots handed out so far (what `forEachObject` visits); 1 for a large page.
    var slotCount: Int { isLarge ? 1 : (Int(bump) - Page.headerSize) / Int(slotSize) }

    /// Calls `body` with every allocated object of the page (free slots skipped).
    func forEachObject(_ body: (ObjectRef) -> Void) {
        if isLarge {
            let object = ObjectRef(base + Page.headerSize)
            if object.bits0 != 0 { body(object) }
            return
        }
        let size = Int(slotSize)
        var offset = Page.headerSize
        let limit = Int(bump)
        while offset < limit {
            let object = ObjectRef(base + offset)
            if object.bits0 != 0 { body(object) }
            offset += size
        }
    }
}

/// Slot-level AddressSanitizer annotations (`HAKOGC_ASAN` builds, see Package.swift).
/// ASan sees page blocks, not slots, so without these a stale reference into a freed
/// slot would read the old bytes unnoticed. A slot's payload is poisoned while the
/// slot is free and unpoisoned when it is handed out; never-used slots are poisoned
/// with their page. In other builds both calls compile to nothing.
@usableFromInline
enum AddressSanitizer {
    @inlinable @inline(__always)
    static func poison(_ address: UnsafeMutableRawPointer, bytes: Int) {
        #if HAKOGC_ASAN
        hako_asan_poison(address, bytes)
        #endif
    }

    @inlinable @inline(__always)
    static func unpoison(_ address: UnsafeMutableRawPointer, bytes: Int) {
        #if HAKOGC_ASAN
        hako_asan_unpoison(address, bytes)
        #endif
    }
}

#if HAKOGC_ASAN
// The ASan runtime's public interface (sanitizer/asan_interface.h), linked by
// `-sanitize=address`.
@usableFromInline @_silgen_name("__asan_poison_memory_region")
func hako_asan_poison(_ address: UnsafeRawPointer, _ bytes: Int)
@usableFromInline @_silgen_name("__asan_unpoison_memory_region")
func hako_asan_unpoison(_ address: UnsafeRawPointer, _ bytes: Int)
#endif

/// Where page blocks come from: jemalloc with 64 KiB alignment, from an arena of
/// their own that hands freed blocks back to the system at once (the heap keeps its
/// own empty-page cache, SizeClassAllocator.swift, so a block it frees is surplus;
/// left in a default arena, such blocks stayed resident for jemalloc's 10-second
/// decay). Sanitizer builds (`HAKOGC_SANITIZE`, Package.swift) use the system
/// allocator, which the sanitizer must see. The installed C library
/// (`HAKOGC_MMAP_PAGES`, scripts/install-lib.sh) maps its blocks itself: it must load
/// into a running process, which jemalloc's initial-exec TLS prevents, and 64 KiB
/// aligned blocks from glibc's posix_memalign fragment its heap (Benchmarks/c/
/// alloc_release_bench.c, 10 rounds: 525 MB peak RSS, growing with every round, against
/// jemalloc's 222 MB; mapped, 214 MB at any number of rounds, for 10-30 % more time in
/// that page-churning worst case; docs/abi.md, "Installing and loading").
enum PageMemory {
    #if !HAKOGC_SYSTEM_MALLOC && !HAKOGC_MMAP_PAGES
    /// Process-wide; created on first use (thread-safe: a static let).
    static let flags: Int32 = hako_mallocx_page_flags(Page.size, hako_create_page_arena())
    #endif

    static func allocate(bytes: Int) -> UnsafeMutableRawPointer? {
        #if HAKOGC_MMAP_PAGES
        // Lengths are whole 64 KiB units, so the kernel, placing each mapping just below
        // the last, mostly returns aligned blocks: one mmap. Otherwise map one alignment
        // more and unmap the misaligned head and the tail.
        let length = mappedLength(bytes)
        guard let first = map(length) else { return nil }
        if UInt(bitPattern: first) & Page.mask == 0 { return first }
        munmap(first, length)
        let span = length + Page.size
        guard let raw = map(span) else { return nil }
        let start = (UInt(bitPattern: raw) + Page.mask) & ~Page.mask
        let head = Int(start - UInt(bitPattern: raw))
        if head > 0 { munmap(raw, head) }
        munmap(UnsafeMutableRawPointer(bitPattern: start + UInt(length)), span - head - length)
        return UnsafeMutableRawPointer(bitPattern: start)
        #elseif HAKOGC_SYSTEM_MALLOC
        var out: UnsafeMutableRawPointer?
        return posix_memalign(&out, Page.size, bytes) == 0 ? out : nil
        #else
        return mallocx(bytes, flags)
        #endif
    }

    static func free(_ block: UnsafeMutableRawPointer, bytes: Int) {
        #if HAKOGC_MMAP_PAGES
        munmap(block, mappedLength(bytes))
        #elseif HAKOGC_SYSTEM_MALLOC
        Glibc.free(block)
        #else
        sdallocx(block, bytes, flags)
        #endif
    }

    #if HAKOGC_MMAP_PAGES
    /// `bytes` rounded up to whole 64 KiB units (a large object's block is any size; the
    /// unused end of its last unit is never touched, so it costs address space only).
    static func mappedLength(_ bytes: Int) -> Int { (bytes + Page.size - 1) & ~Int(Page.mask) }

    static func map(_ length: Int) -> UnsafeMutableRawPointer? {
        let p = mmap(nil, length, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0)
        return p == UnsafeMutableRawPointer(bitPattern: -1) ? nil : p
    }
    #endif
}
