// How misuse stops the process: with its message, in every build.
//
// Swift's `precondition` and `preconditionFailure` print their message only in
// -Onone builds; an -O build traps with no text at all ("Illegal instruction").
// `fatalError` prints in every build, so HakoGC's checks go through it.

/// Stops the process with `message` unless `condition` holds, in debug and release
/// builds alike (unlike `precondition`, whose message -O builds drop).
@inlinable @inline(__always)
package func misusePrecondition(
    _ condition: Bool, _ message: @autoclosure () -> String,
    file: StaticString = #fileID, line: UInt = #line
) {
    if _slowPath(!condition) { fatalError(message(), file: file, line: line) }
}
