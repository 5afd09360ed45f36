import GcCore

// Which GcTypes types may cross threads (Sendable), and which may not.
//
// Sendable:
// - `GcType<T>`: names a registered descriptor, immutable for the life of the process.
// - `GcFieldLayout`: a plain enum.
// - From GcCore: `ObjectRef` (`@unchecked Sendable` as a raw address only: the
//   object it names may be used on its heap's owner thread only; unsafe, like a
//   pointer), `WeakReference` (a slot index and generation; upgrading needs the
//   heap), `TypeDescriptor`, `TypeRegistry`, `HeapStatistics`, `HeapConfiguration`,
//   `CollectionEvent`.
//
// Not Sendable (the conformances below are unavailable, so Swift 6 refuses to send
// one into a `@Sendable` closure, to a generic `T: Sendable`, or across actors, and
// no one can declare them `@unchecked Sendable` later): every handle, because its
// copies and its end of life change heap counts that are not atomic and, in release
// builds, not owner-checked — `GcRc`, `GcWeak`, `GcBox`, `GcArray`, `GcString`,
// `GcRefArray` — and the payload types, which live in a heap (`GcArrayStorage`,
// `GcStringStorage`, `GcRefArrayStorage`, `GcValue`). `GcRc` was implicitly
// Sendable before (it is `@frozen` and holds only an `ObjectRef`).
// GcCore's `Heap` (what `DefaultHeap.current` returns) is not Sendable either (a
// class with no conformance); moving a whole heap to another thread is
// `transferOwnership()` on the new thread after the old one stopped using it.
//
// What Swift 6 does not refuse: region-based isolation lets a value the compiler
// sees as disconnected be *sent* (`sending`: `Task.detached { }`, `Task { }`) if the
// sender never uses it again. A handle made with an explicit `in: heap` shares the
// heap's region, so sending it is refused as soon as the heap or another handle
// made in it is used afterwards (if none is, the whole region moves: the receiver
// must call `heap.transferOwnership()` before using it); a handle made in
// `DefaultHeap.current` looks disconnected (the compiler sees a fresh `Heap` from
// each call), so sending it compiles although its heap stays owned by the sending
// thread (Tests/sendable/known-gap.swift). That, and moving handles by unsafe means (`Unmanaged`,
// `nonisolated(unsafe)`, Swift 5 language mode), is outside the safe API: counts then
// change on a thread that does not own the heap, which release builds do not check.

@available(*, unavailable, message: "a GcRc belongs to its heap's owner thread")
extension GcRc: Sendable where T: ~Copyable {}

@available(*, unavailable, message: "a GcWeak belongs to its heap's owner thread")
extension GcWeak: Sendable where T: ~Copyable {}

@available(*, unavailable, message: "a GcBox belongs to its heap's owner thread")
extension GcBox: Sendable where T: ~Copyable {}

@available(*, unavailable, message: "a GcArray belongs to its heap's owner thread")
extension GcArray: Sendable {}

@available(*, unavailable, message: "a GcString belongs to its heap's owner thread")
extension GcString: Sendable {}

@available(*, unavailable, message: "a GcRefArray belongs to its heap's owner thread")
extension GcRefArray: Sendable where Element: ~Copyable {}

@available(*, unavailable, message: "heap payload types live in a heap owned by one thread")
extension GcArrayStorage: Sendable {}

@available(*, unavailable, message: "heap payload types live in a heap owned by one thread")
extension GcStringStorage: Sendable {}

@available(*, unavailable, message: "heap payload types live in a heap owned by one thread")
extension GcRefArrayStorage: Sendable where Element: ~Copyable {}

@available(*, unavailable, message: "heap payload types live in a heap owned by one thread")
extension GcValue: Sendable {}
