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
