// The object header: 16 bytes in front of every payload.
//
// Word 0 (`bits`), 64 bits:
//
// | bits   | name          | meaning                                                                 |
// |--------|---------------|-------------------------------------------------------------------------|
// | 0–31   | RC            | strong count: handles + heap edges + pins (trial counts mid-collection) |
// | 32–47  | TYPE          | index into the type registry; 0 marks a free slot                       |
// | 48–49  | COLOR         | cycle collector colour: 0 black, 1 gray, 2 white, 3 purple               |
// | 50     | BUFFERED      | the object sits in the candidate buffer at BUFFER_INDEX                 |
// | 51     | ACYCLIC       | copied from the type: never a cycle candidate                           |
// | 52     | PINNED        | pin count > 0 (the count lives in the heap's pin table)                 |
// | 53     | HAS_WEAK      | a weak slot refers to this object (slot in the heap's weak table)       |
// | 54     | FINALIZED     | the finalizer has run; it never runs again                              |
// | 55     | DYING         | being destroyed or in a garbage set: a count reaching 0 frees nothing   |
// | 56     | MARKED        | reached by the current full collection                                  |
// | 57     | HAS_FINALIZER | copied from the type                                                    |
// | 58–61  | BORROWS       | shared borrows in progress (typed API); 15 at most                      |
// | 62     | MUTATING      | an exclusive borrow is in progress (typed API); with BORROWS = 14: torn |
// |        |               | garbage, whose set's payloads are being dropped (no borrow allowed)     |
// | 63     | BARRIER       | an incremental full collection must see this object's references before |
// |        |               | they change (rooting: they are counted; marking: not traced yet)        |
//
// Word 1 (`aux`), 64 bits:
//
// | bits   | name          | meaning                                                                 |
// |--------|---------------|-------------------------------------------------------------------------|
// | 0–31   | BUFFER_INDEX  | position in the candidate buffer (0 when not buffered); scratch space   |
// |        |               | during a collection; during an incremental full collection's rooting,  |
// |        |               | the references counted to this (old) object                             |
// | 32–63  | BIRTH_EPOCH   | the heap's minor-collection epoch when the object was allocated         |
//
// A free slot has word 0 = 0 and keeps the free-list link in word 1.
//
// Life cycle:
//
// | state      | how it is entered                              | header                          |
// |------------|------------------------------------------------|---------------------------------|
// | allocated  | `allocate` returns it, RC = 1                  | TYPE ≠ 0, color black           |
// | live       | counts move through retain/release/store       | RC ≥ 1                          |
// | candidate  | a release left RC > 0 (young, not acyclic)     | PURPLE, BUFFERED                |
// | finalizing | RC reached 0, or found in a garbage cycle      | DYING (+FINALIZED once run)     |
// | torn       | its garbage set's payloads are being dropped   | DYING, TORN (borrows refused)   |
// | resurrected| the finalizer stored a new reference to it     | DYING cleared, FINALIZED kept   |
// | freed      | payload dropped, slot back on a free list      | word 0 = 0                      |
//
// A young object is one whose BIRTH_EPOCH is the current epoch or the one before:
// minor collections traverse young objects only (see CycleCollector.swift).

/// A reference to an object in a heap: the address of its header.
///
/// `ObjectRef` is a plain address with no ownership. Holding one does not keep the
/// object alive; the caller must own a count (from `allocate`, `retain`, `upgrade`)
/// or borrow it from a live owner. Using an `ObjectRef` after its object was freed is
/// undefined behaviour: the safe typed API (GcTypes) never hands one out.
/// Thread rule: the value may cross threads (`Sendable`), but the object may be
/// touched only on its heap's owner thread.
@frozen
public struct ObjectRef: Hashable, @unchecked Sendable {
    /// The header's address.
    public let address: UnsafeMutableRawPointer

    /// Wraps an address, unchecked (`Heap.contains` validates a foreign one).
    @inlinable
    public init(_ address: UnsafeMutableRawPointer) { self.address = address }

    /// Rebuilds a reference from a stored bit pattern; 0 means "no reference".
    @inlinable
    public init?(bits: UInt) {
        guard let p = UnsafeMutableRawPointer(bitPattern: bits) else { return nil }
        self.address = p
    }

    /// The address as a bit pattern (what reference slots store).
    @inlinable public var bits: UInt { UInt(bitPattern: address) }

    /// The first payload byte. Payloads are 16-byte aligned. Valid only while the
    /// object lives; the heap owns the memory.
    @inlinable public var payload: UnsafeMutableRawPointer { address + ObjectHeader.size }
}

/// Bit constants and accessors for the header layout above.
@usableFromInline
enum ObjectHeader {
    @inlinable static var size: Int { 16 }

    @inlinable static var rcMask: UInt64 { 0xFFFF_FFFF }
    @inlinable static var typeShift: UInt64 { 32 }
    @inlinable static var typeMask: UInt64 { 0xFFFF << 32 }
    @inlinable static var colorShift: UInt64 { 48 }
    @inlinable static var colorMask: UInt64 { 0b11 << 48 }
    @inlinable static var buffered: UInt64 { 1 << 50 }
    @inlinable static var acyclic: UInt64 { 1 << 51 }
    @inlinable static var pinned: UInt64 { 1 << 52 }
    @inlinable static var hasWeak: UInt64 { 1 << 53 }
    @inlinable static var finalized: UInt64 { 1 << 54 }
    @inlinable static var dying: UInt64 { 1 << 55 }
    @inlinable static var marked: UInt64 { 1 << 56 }
    @inlinable static var hasFinalizer: UInt64 { 1 << 57 }
    @inlinable static var borrowShift: UInt64 { 58 }
    @inlinable static var borrowUnit: UInt64 { 1 << 58 }
    @inlinable static var borrowMask: UInt64 { 0xF << 58 }
    @inlinable static var mutating: UInt64 { 1 << 62 }
    @inlinable static var barrier: UInt64 { 1 << 63 }
    /// Garbage whose payloads are being dropped (GarbageReclaimer.swift): MUTATING
    /// with 14 shared borrows, a pair that no borrow produces. A shared borrow then
    /// still sees MUTATING (14 + 1 does not carry), an exclusive one sees both: each
    /// is refused, with a message that says why (`isTorn`).
    @inlinable static var torn: UInt64 { mutating | (0xE << 58) }

    @inlinable static var maxCount: UInt64 { rcMask }
}

/// Cycle-collector colours (Bacon & Rajan 2001).
@usableFromInline
enum Color: UInt64 {
    case black = 0, gray = 1, white = 2, purple = 3
}

// SAFETY: every accessor below reads or writes the 16 header bytes at `address`.
// Callers guarantee that `address` is a slot the heap allocated and has not freed.
extension ObjectRef {
    @inlinable
    var bits0: UInt64 {
        get { address.load(as: UInt64.self) }
        nonmutating set { address.storeBytes(of: newValue, as: UInt64.self) }
    }

    @inlinable
    var bits1: UInt64 {
        get { address.load(fromByteOffset: 8, as: UInt64.self) }
        nonmutating set { address.storeBytes(of: newValue, toByteOffset: 8, as: UInt64.self) }
    }

    @inlinable var count: UInt32 { UInt32(truncatingIfNeeded: bits0 & ObjectHeader.rcMask) }

    @inlinable var typeIndex: Int { Int((bits0 & ObjectHeader.typeMask) >> ObjectHeader.typeShift) }

    @inlinable
    func has(_ flag: UInt64) -> Bool { bits0 & flag != 0 }

    @inlinable
    func set(_ flag: UInt64) { bits0 |= flag }

    @inlinable
    func clear(_ flag: UInt64) { bits0 &= ~flag }

    @usableFromInline
    var color: Color {
        get { Color(rawValue: (bits0 & ObjectHeader.colorMask) >> ObjectHeader.colorShift)! }
        nonmutating set {
            bits0 = (bits0 & ~ObjectHeader.colorMask) | (newValue.rawValue << ObjectHeader.colorShift)
        }
    }

    @usableFromInline
    var bufferIndex: Int {
        get { Int(bits1 & 0xFFFF_FFFF) }
        nonmutating set { bits1 = (bits1 & ~0xFFFF_FFFF) | UInt64(UInt32(truncatingIfNeeded: newValue)) }
    }

    @usableFromInline
    var birthEpoch: UInt32 {
        get { UInt32(truncatingIfNeeded: bits1 >> 32) }
        nonmutating set { bits1 = (bits1 & 0xFFFF_FFFF) | (UInt64(newValue) << 32) }
    }

    /// Adds `delta` (may be negative) to the count; trial deletion uses this directly.
    @inlinable
    func addCount(_ delta: Int64) {
        bits0 = UInt64(bitPattern: Int64(bitPattern: bits0) &+ delta)
    }

    @inlinable
    func initializeHeader(word0: UInt64, epoch: UInt32) {
        bits0 = word0
        bits1 = UInt64(epoch) << 32
    }

    @inlinable
    func initializeHeader(typeIndex: Int, flags: UInt64, epoch: UInt32) {
        bits0 = 1 | (UInt64(typeIndex) << ObjectHeader.typeShift) | flags
        bits1 = UInt64(epoch) << 32
    }
}
