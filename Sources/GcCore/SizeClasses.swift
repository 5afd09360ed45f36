/// Slot sizes for small objects, header included. Steps of 16 bytes up to 128, then
/// four classes per power of two (at most 25 % internal waste), up to 8 KiB. A slot of
/// more than 8 KiB is a large object with a page block of its own.
@usableFromInline
enum SizeClasses {
    @usableFromInline static let slotSizes: [Int] = [
        32, 48, 64, 80, 96, 112, 128,
        160, 192, 224, 256,
        320, 384, 448, 512,
        640, 768, 896, 1024,
        1280, 1536, 1792, 2048,
        2560, 3072, 3584, 4096,
        5120, 6144, 7168, 8192,
    ]

    @usableFromInline static let count = slotSizes.count
    @usableFromInline static let largestSlot = 8192

    /// `lookup[(slotBytes + 15) >> 4]` is the class for slot sizes up to 8 KiB.
    @usableFromInline static let lookup: [UInt8] = {
        var table = [UInt8](repeating: 0, count: largestSlot / 16 + 1)
        var cls = 0
        for units in 0...(largestSlot / 16) {
            while slotSizes[cls] < units * 16 { cls += 1 }
            table[units] = UInt8(cls)
        }
        return table
    }()

    /// The size class for an object of `slotBytes` (header included), or nil if large.
    @inlinable
    static func classFor(slotBytes: Int) -> Int? {
        guard slotBytes <= largestSlot else { return nil }
        return Int(lookup[(slotBytes &+ 15) >> 4])
    }
}
