@_spi(Reflection) import Swift
import GcCore

/// How the heap finds the references of a `GcObject` type and frees its values.
///
/// - `traced` (the default): any layout. The collector calls `trace`; freeing a value
///   deinitializes it (its `GcRc` fields release, its `deinit` runs, its other fields
///   are destroyed). One closure call per object freed and per object traced.
/// - `referencesOnly`: every stored property is a `GcRc<…>` or `GcRc<…>?` and the
///   type declares no `deinit`. The heap then reads the references at their offsets
///   and releases them itself, with no closure call: the raw GcCore path, about a
///   third faster for pointer-heavy data (docs/performance.md).
///
/// `GcType` checks a `referencesOnly` declaration when it registers the type: every
/// 8-byte word of the value must be a stored property whose type is a
/// non-copyable generic (what `GcRc` is), and `trace`, run on a value whose words
/// are all distinct stand-in references, must report each word exactly once. A
/// declaration that fails stops the process at start-up with a message naming the
/// field. What cannot be checked is a `deinit` on the type: it would not run; a type
/// that needs one must stay `traced`.
///
/// Thread rule: a plain value. Misuse: see above (the process stops at registration).
public enum GcFieldLayout: Sendable, Equatable {
    /// References reported by `trace`; values deinitialized when freed.
    case traced
    /// Only `GcRc` / `GcRc?` stored properties and no `deinit` (checked at registration,
    /// except the `deinit`).
    case referencesOnly
}

/// Checks a `referencesOnly` declaration for `T` (see `GcFieldLayout`).
enum ReferenceLayoutCheck {
    /// Largest value checked word by word (64 references).
    static let maximumBytes = 512

    /// The payload offsets of `T`'s references, or a message saying why `T` is not
    /// `referencesOnly`.
    static func offsets<T: GcObject & ~Copyable>(of type: T.Type) -> Result<[Int], Failure> {
        let size = MemoryLayout<T>.size
        let words = size / 8
        guard size > 0, size % 8 == 0, size <= maximumBytes, MemoryLayout<T>.alignment == 8 else {
            return .failure(Failure("\(T.self) is \(size) bytes with alignment \(MemoryLayout<T>.alignment); a referencesOnly type is 8 to \(maximumBytes) bytes of 8-byte references"))
        }
        if let problem = fieldProblem(T.self, words: words) { return .failure(Failure(problem)) }
        return probe(T.self, words: words)
    }

    struct Failure: Error, CustomStringConvertible {
        let description: String
        init(_ description: String) { self.description = description }
    }

    /// Reflection: one stored property per word, each of a type the runtime reports
    /// as unresolvable (`()`), as it does for non-copyable generics like `GcRc`.
    /// Int, String, class references and the like are named, so they are refused here.
    private static func fieldProblem<T: ~Copyable>(_ type: T.Type, words: Int) -> String? {
        // SAFETY: a metatype is one pointer to the type's metadata whatever its
        // constraints; reflection reads that metadata only.
        let metatype = unsafeBitCast(type as any ~Copyable.Type, to: Any.Type.self)
        var fields: [(name: String, offset: Int, typeName: String, kind: _MetadataKind)] = []
        let complete = _forEachField(of: metatype, options: []) { name, offset, fieldType, kind in
            fields.append((String(cString: name), offset, _typeName(fieldType), kind))
            return true
        }
        guard complete else { return "the stored properties of \(T.self) cannot be enumerated" }
        guard fields.count == words else {
            return "\(T.self) has \(fields.count) stored properties in \(words) words; each must be one GcRc or GcRc?"
        }
        for (i, field) in fields.enumerated() {
            guard field.offset == i * 8 else {
                return "stored property \(field.name) of \(T.self) is at offset \(field.offset), not \(i * 8)"
            }
            guard field.kind == .tuple, field.typeName == "()" else {
                return "stored property \(field.name) of \(T.self) is a \(field.typeName), not a GcRc"
            }
        }
        return nil
    }

    /// Runs `trace` on a value whose word i holds stand-in reference i (real torn
    /// objects of a private heap: a trace that reads or mutates through one stops
    /// the process with a message, `Tracer.withStandInReferences`) and requires
    /// every word to be reported exactly once.
    private static func probe<T: GcObject & ~Copyable>(_ type: T.Type, words: Int) -> Result<[Int], Failure> {
        Tracer.withStandInReferences(count: words) { standIns in
            check(T.self, reported: record(T.self, standIns), standIns: standIns)
        }
    }

    private static func record<T: GcObject & ~Copyable>(_ type: T.Type, _ standIns: [ObjectRef]) -> [ObjectRef] {
        let payload = UnsafeMutableRawPointer.allocate(byteCount: standIns.count * 8, alignment: 16)
        // The payload is never a real T: deallocated, never deinitialized.
        defer { payload.deallocate() }
        for (i, object) in standIns.enumerated() {
            payload.storeBytes(of: object.bits, toByteOffset: i * 8, as: UInt.self)
        }
        return Tracer.recordReferences(of: payload) { payload, tracer in
            // SAFETY: every word is a non-null pointer, which is a valid bit pattern for
            // a GcRc or GcRc? (the reflection check above); the value is only borrowed
            // for `trace`, never copied, moved or deinitialized.
            payload.assumingMemoryBound(to: T.self).pointee.trace(into: &tracer)
        }
    }

    private static func check<T: GcObject & ~Copyable>(
        _ type: T.Type, reported: [ObjectRef], standIns: [ObjectRef]
    ) -> Result<[Int], Failure> {
        let words = standIns.count
        var seen = [Int](repeating: 0, count: words)
        for ref in reported {
            guard let i = standIns.firstIndex(of: ref) else {
                return .failure(Failure("trace of \(T.self) reports a reference that is not one of its fields"))
            }
            seen[i] += 1
        }
        for (i, n) in seen.enumerated() where n != 1 {
            return .failure(Failure("trace of \(T.self) reports the word at offset \(i * 8) \(n) times; a referencesOnly type's trace visits each field once"))
        }
        return .success((0..<words).map { $0 * 8 })
    }
}
