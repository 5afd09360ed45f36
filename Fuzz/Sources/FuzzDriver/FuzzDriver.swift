// The entry both fuzz targets share. SwiftPM links an executable's entry point as
// `main` (--defsym main=TARGET_main) and `-sanitize=fuzzer` links libFuzzer's own
// `main` whole; scripts/fuzz.sh allows both definitions, and each target defines
// `TARGET_main` to do what libFuzzer's would: run the driver on its callback.

@_silgen_name("LLVMFuzzerRunDriver")
func LLVMFuzzerRunDriver(
    _ argc: UnsafeMutablePointer<CInt>, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
    _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt) -> CInt

/// Runs libFuzzer with the command line and the target's LLVMFuzzerTestOneInput.
public func runLibFuzzer(
    _ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?,
    _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt
) -> CInt {
    var argc = argc, argv = argv
    return LLVMFuzzerRunDriver(&argc, &argv, callback)
}

/// The fuzzer's input, read a byte (or 8) at a time; past the end it reads zeros.
public struct FuzzInput {
    let bytes: UnsafeBufferPointer<UInt8>
    var at = 0
    public init(_ bytes: UnsafeBufferPointer<UInt8>) { self.bytes = bytes }
    public var isEmpty: Bool { at >= bytes.count }
    public mutating func byte() -> Int {
        guard at < bytes.count else { return 0 }
        defer { at += 1 }
        return Int(bytes[at])
    }
    public mutating func u64() -> UInt64 {
        var v: UInt64 = 0
        for _ in 0..<8 { v = v << 8 | UInt64(byte()) }
        return v
    }
}
