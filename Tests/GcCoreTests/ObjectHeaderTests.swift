import Testing
@testable import GcCore

@Suite struct ObjectHeaderTests {
    @Test func fieldsAndFlagsDoNotOverlap() {
        let fields: [UInt64] = [
            ObjectHeader.rcMask, ObjectHeader.typeMask, ObjectHeader.colorMask, ObjectHeader.buffered,
            ObjectHeader.acyclic, ObjectHeader.pinned, ObjectHeader.hasWeak, ObjectHeader.finalized,
            ObjectHeader.dying, ObjectHeader.marked, ObjectHeader.hasFinalizer, ObjectHeader.borrowMask,
            ObjectHeader.mutating,
        ]
        var seen: UInt64 = 0
        for f in fields {
            #expect(seen & f == 0, "bits 0x\(String(f, radix: 16)) overlap another field")
            seen |= f
        }
        #expect(seen & (1 << 63) == 0, "bit 63 is reserved")
        #expect(seen | (1 << 63) == UInt64.max, "every other bit of word 0 is assigned")
    }

    @Test func accessorsRoundTrip() {
        let memory = UnsafeMutableRawPointer.allocate(byteCount: 32, alignment: 16)
        defer { memory.deallocate() }
        let o = ObjectRef(memory)
        o.initializeHeader(typeIndex: 0xBEEF, flags: ObjectHeader.acyclic | ObjectHeader.hasFinalizer, epoch: 77)
        #expect(o.count == 1 && o.typeIndex == 0xBEEF && o.birthEpoch == 77 && o.bufferIndex == 0)
        #expect(o.has(ObjectHeader.acyclic) && o.has(ObjectHeader.hasFinalizer) && !o.has(ObjectHeader.dying))
        #expect(o.color == .black)
        for c in [Color.gray, .white, .purple, .black] {
            o.color = c
            #expect(o.color == c && o.typeIndex == 0xBEEF && o.count == 1)
        }
        o.addCount(41)
        #expect(o.count == 42)
        o.addCount(-42)
        #expect(o.count == 0 && o.typeIndex == 0xBEEF)
        o.bufferIndex = 123_456
        o.birthEpoch = 9
        #expect(o.bufferIndex == 123_456 && o.birthEpoch == 9)
        o.set(ObjectHeader.dying)
        o.clear(ObjectHeader.acyclic)
        #expect(o.has(ObjectHeader.dying) && !o.has(ObjectHeader.acyclic) && o.has(ObjectHeader.hasFinalizer))
        #expect(o.payload == memory + 16)
    }

    @Test func borrowBitsCountAndExclude() {
        let memory = UnsafeMutableRawPointer.allocate(byteCount: 32, alignment: 16)
        defer { memory.deallocate() }
        let o = ObjectRef(memory)
        o.initializeHeader(typeIndex: 1, flags: 0, epoch: 0)
        let before = o.bits0
        for _ in 0..<15 { o.bits0 &+= ObjectHeader.borrowUnit }
        #expect((o.bits0 & ObjectHeader.borrowMask) >> ObjectHeader.borrowShift == 15)
        #expect(o.count == 1 && o.typeIndex == 1)
        o.bits0 = before | ObjectHeader.mutating
        #expect(o.bits0 & ObjectHeader.borrowMask == 0 && o.has(ObjectHeader.mutating))
    }
}
