"""Loads the installed libHakoGC into this running interpreter with ctypes (a plain
dlopen, no LD_PRELOAD) and makes a few real calls. scripts/test-load.sh runs it.
Usage: python3 test_load.py LIBRARY ABI_VERSION"""
import ctypes
import os
import sys

path, abi = sys.argv[1], int(sys.argv[2], 0)
assert "LD_PRELOAD" not in os.environ, "must load without a preload"
failures, checks = [], 0


def check(ok, what):
    global checks
    checks += 1
    print(("ok   " if ok else "FAIL ") + what)
    if not ok:
        failures.append(what)


class Value(ctypes.Structure):
    _fields_ = [("type_id", ctypes.c_uint64), ("box_handle", ctypes.c_uint64), ("metadata", ctypes.c_uint64)]


class Stats(ctypes.Structure):
    _fields_ = [("size", ctypes.c_uint32), ("reserved", ctypes.c_uint32)] + [
        (name, ctypes.c_uint64)
        for name in ("live_objects", "live_bytes", "allocated_objects", "freed_objects", "minor_collections",
                     "full_collections", "total_pause_ns", "max_pause_ns", "finalizers_run", "handles",
                     "pinned_objects")]


HGC_TYPE_STRING = 0x77541b78add696e6
OK, STALE_HANDLE = 0, 15

libc_malloc = ctypes.cast(ctypes.CDLL(None).malloc, ctypes.c_void_p).value
lib = ctypes.CDLL(path)  # raises OSError if it cannot be loaded
check(True, "dlopen " + path)
u64, ptr = ctypes.c_uint64, ctypes.c_void_p
lib.hgc_abi_version.restype = ctypes.c_uint32
lib.hgc_status_string.restype = ctypes.c_char_p
lib.hgc_heap_create.argtypes = [ptr]
lib.hgc_heap_destroy.argtypes = [u64]
lib.hgc_alloc.argtypes = [u64, u64, u64, ptr]
lib.hgc_payload.argtypes = [u64, Value, ptr, ptr]
lib.hgc_release.argtypes = [u64, Value]
lib.hgc_collect.argtypes = [u64, ctypes.c_uint32]
lib.hgc_heap_statistics.argtypes = [u64, ptr]

check(lib.hgc_abi_version() == abi, "hgc_abi_version() is the header's 0x%x" % abi)
check(lib.hgc_status_string(STALE_HANDLE).startswith(b"the handle"), "hgc_status_string(STALE_HANDLE)")
heap = ctypes.c_uint64()
check(lib.hgc_heap_create(ctypes.byref(heap)) == OK and heap.value != 0, "hgc_heap_create")
value = Value()
check(lib.hgc_alloc(heap, HGC_TYPE_STRING, 32, ctypes.byref(value)) == OK and value.box_handle != 0,
      "hgc_alloc of a core/String")
payload, size = ctypes.c_void_p(), ctypes.c_uint64()
check(lib.hgc_payload(heap, value, ctypes.byref(payload), ctypes.byref(size)) == OK and payload.value
      and size.value >= 32, "hgc_payload")
stats = Stats(size=ctypes.sizeof(Stats))
check(lib.hgc_heap_statistics(heap, ctypes.byref(stats)) == OK and stats.live_objects == 1 and stats.handles == 1,
      "hgc_heap_statistics: one live object, one handle")
check(lib.hgc_release(heap, value) == OK, "hgc_release")
check(lib.hgc_release(heap, value) == STALE_HANDLE, "a second hgc_release is HGC_ERR_STALE_HANDLE")
check(lib.hgc_collect(heap, 1) == OK, "hgc_collect (full)")
check(lib.hgc_heap_statistics(heap, ctypes.byref(stats)) == OK and stats.live_objects == 0 and stats.handles == 0,
      "hgc_heap_statistics: nothing live")
check(lib.hgc_heap_destroy(heap) == OK, "hgc_heap_destroy")
check(lib.hgc_heap_destroy(heap) != OK, "a destroyed heap is refused")
# The library must not have replaced the interpreter's allocator (a malloc of its own).
check(ctypes.cast(ctypes.CDLL(None).malloc, ctypes.c_void_p).value == libc_malloc, "malloc is still the process's")
with open("/proc/self/maps") as maps:
    mapped = {line.split()[-1] for line in maps if "/" in line}
check(not any("jemalloc" in m or "libswift" in m for m in mapped), "no jemalloc or Swift runtime library mapped")
if failures:
    sys.exit("%d check(s) failed" % len(failures))
print("libHakoGC loads into a running interpreter: %d checks passed" % checks)
