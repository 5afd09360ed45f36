import GcCore

/// A Swift-ARC-managed owner of one heap count: what makes the Copyable handles
/// (`GcBox`, `GcArray`, `GcString`) safe to copy. Swift counts the anchor; the anchor
/// holds one heap count and releases it in `deinit`.
///
/// An anchor is a root: the collector cannot see who holds it. Never store a
/// Copyable handle inside a heap object's payload (use `GcRc` fields there), or
/// cycles through it cannot be collected.
///
/// Thread rule: the last Swift reference to an anchor must go on the heap's owner
/// thread (its `deinit` releases a heap count).
@usableFromInline
final class GcAnchor {
    @usableFromInline let object: ObjectRef

    @usableFromInline init(adopting object: ObjectRef) { self.object = object }

    deinit { Heap.release(object) }
}

/// The Copyable handles (anchor-backed roots). Values of these types hold heap
/// references the collector cannot see, so plain-value containers (`GcArray`) refuse
/// them as elements: use `GcRefArray` for arrays of heap references.
public protocol GcHandle {}

/// The calling thread's default heap, for literals (`"abc" as GcString`,
/// `[1, 2] as GcArray<Int>`) and initializers called without `in:`.
///
/// Ownership: created on a thread's first use, owned by that thread, released when
/// the thread exits (its objects still held elsewhere keep its memory alive).
/// `current` returns a `Heap`, which is not Sendable; Swift 6 cannot see that
/// handles made in it belong to this thread, so it lets a handle made here be
/// *sent* (`Task.detached`) when this thread does not use it again: that is outside
/// the safe API, and not checked in release builds (see Sendability.swift).
public enum DefaultHeap {
    private static let key: pthread_key_t = {
        var key = pthread_key_t()
        pthread_key_create(&key) { pointer in
            if let pointer { Unmanaged<Heap>.fromOpaque(pointer).release() }
        }
        return key
    }()

    /// The calling thread's default heap, created on first use. Use it (and drop the
    /// objects allocated in it) on this thread only; another thread gets its own.
    public static var current: Heap {
        if let pointer = pthread_getspecific(key) {
            return Unmanaged<Heap>.fromOpaque(pointer).takeUnretainedValue()
        }
        let heap = Heap()
        pthread_setspecific(key, Unmanaged.passRetained(heap).toOpaque())
        return heap
    }
}

import Glibc
