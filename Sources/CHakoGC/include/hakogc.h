#ifndef HAKOGC_H
#define HAKOGC_H
/*
 * HakoGC C ABI.
 *
 * Every exported function has the hgc_ prefix, returns an hgc_status (or a plain
 * value that cannot fail), and never crashes on bad input: stale or forged handles,
 * malformed tags, unknown flags and unknown types are reported as statuses.
 * hgc_status_string() names each status; hgc_last_error() gives the calling thread's
 * last detailed message (for example both names of a type-id collision).
 *
 * This header grows append-only: structs passed in carry their own size, new
 * functions and status codes are added at the end. See docs/abi.md.
 *
 * Version 0x0105: values, tags and flags, the process-wide type registry, heaps in
 * checked and trusted modes, boxed values with checked handles (or, in trusted
 * mode, object addresses and inline hot calls), reference fields, pins, weak
 * boundary edges, collection and statistics, and the bridge that collects cycles
 * running through another collector's heap.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h> /* memset, in hgc_trusted_alloc */

#ifdef __cplusplus
extern "C" {
#endif

/* ABI version: major << 16 | minor. */
#define HGC_ABI_VERSION 0x00000106u

/* ---- The value: three 64-bit words, passed by value ------------------------- */

typedef struct hgc_value {
    uint64_t type_id;    /* registry id of the value's type */
    uint64_t box_handle; /* 0 for immediates */
    uint64_t metadata;   /* top 4 bits: tag; boxed: low bits are flags; immediates: payload */
} hgc_value;

/* The calling convention for functions exposed through the registry. */
typedef hgc_value (*hgc_fn)(uint32_t argc, hgc_value *args, void *context);

/* Tags (metadata bits 60-63). */
#define HGC_TAG_SHIFT 60
#define HGC_TAG_BOXED 0u
#define HGC_TAG_INT   1u /* signed 60-bit integer in bits 0-59 (see below) */
#define HGC_TAG_BOOL  2u /* bit 0 */
#define HGC_TAG_NULL  3u
#define HGC_TAG_VOID  4u
#define HGC_TAG_ASYNC 5u /* reserved for futures: carried as an opaque boxed value */

/* Flags of boxed values (metadata bits 0-3); every other bit of a boxed value's
   metadata must be 0: unknown flags are refused, not ignored. Flags are checked
   against the handle and the type, never trusted alone (docs/abi.md, "Flags"): a
   value whose flags disagree is HGC_ERR_MALFORMED_VALUE. */
#define HGC_FLAG_WEAK     (1ull << 0) /* a boundary edge that does not keep the box alive */
#define HGC_FLAG_PINNED   (1ull << 1) /* set exactly when the handle holds a pin */
#define HGC_FLAG_ASYNC    (1ull << 2) /* set exactly on core/Future values (with tag 5) */
#define HGC_FLAG_READONLY (1ull << 3) /* no writes through it: HGC_ERR_READONLY; sticky on
                                         handles issued from a read-only value */
#define HGC_FLAGS_KNOWN   0xFull

/* Integer immediates. The design card says "63-bit", but a 4-bit tag in the top
   bits leaves 60: integers outside this range are boxed (type core/Integer). */
#define HGC_INT_BITS 60
#define HGC_INT_MIN (-(INT64_C(1) << 59))
#define HGC_INT_MAX ((INT64_C(1) << 59) - 1)
#define HGC_PAYLOAD_MASK ((UINT64_C(1) << 60) - 1)

/* Reserved ids of the built-in types: hgc_type_id("core/Integer") and so on. */
#define HGC_TYPE_NULL    0xe43423110dcaedb6ull /* core/Null */
#define HGC_TYPE_VOID    0xec017352a185a93dull /* core/Void */
#define HGC_TYPE_BOOL    0x3c4886ac5b0ca877ull /* core/Bool */
#define HGC_TYPE_INTEGER 0xe7e3927c084ac473ull /* core/Integer */
#define HGC_TYPE_FLOAT   0x3ca93dae4eba8947ull /* core/Float (boxed) */
#define HGC_TYPE_STRING  0x77541b78add696e6ull /* core/String (boxed) */
#define HGC_TYPE_FUTURE  0x928c260a091c2e74ull /* core/Future (async, boxed) */

/* ---- Status codes ----------------------------------------------------------- */

typedef enum hgc_status {
    HGC_OK = 0,
    HGC_ERR_NULL_ARGUMENT = 1,      /* a required pointer was NULL */
    HGC_ERR_BAD_TAG = 2,            /* metadata tag is not one of HGC_TAG_* */
    HGC_ERR_UNKNOWN_FLAGS = 3,      /* a boxed value has metadata bits outside HGC_FLAGS_KNOWN */
    HGC_ERR_MALFORMED_VALUE = 4,    /* an immediate with a box handle, a bad payload or type id,
                                       or flags that disagree with the handle or type */
    HGC_ERR_TYPE_ID_COLLISION = 5,  /* another name (function) holds this id (hgc_last_error names both) */
    HGC_ERR_UNKNOWN_TYPE = 6,       /* no type (function) registered under this id or name */
    HGC_ERR_INVALID_NAME = 7,       /* not "namespace/Name[@version]", or not UTF-8 */
    HGC_ERR_RESERVED_NAME = 8,      /* the core/ namespace belongs to the built-in types */
    HGC_ERR_LAYOUT_MISMATCH = 9,    /* the name is registered with another vtable layout */
    HGC_ERR_REGISTRY_FULL = 10,
    HGC_ERR_BAD_VTABLE = 11,        /* vtable or bridge: size too small, bad offsets, unknown flags */
    HGC_ERR_BUFFER_TOO_SMALL = 12,  /* output written truncated; the full length is reported */
    HGC_ERR_INT_OUT_OF_RANGE = 13,  /* does not fit in an immediate's 60 bits */
    HGC_ERR_NOT_APPLICABLE = 14,    /* the operation does not apply to this kind of value */
    HGC_ERR_STALE_HANDLE = 15,      /* the handle was released (or its object freed) */
    HGC_ERR_FORGED_HANDLE = 16,     /* the handle was never issued by this heap */
    HGC_ERR_WRONG_TYPE = 17,        /* type_id does not match the handle's object */
    HGC_ERR_HEAP_DESTROYED = 18,    /* the heap handle is stale or forged */
    HGC_ERR_WRONG_THREAD = 19,      /* the heap belongs to another thread */
    HGC_ERR_OUT_OF_MEMORY = 20,     /* or every weak slot a weak handle can name is used or retired */
    HGC_ERR_BAD_SLOT = 21,          /* no such reference slot in the type */
    HGC_ERR_NOT_PINNED = 22,        /* hgc_unpin of a value that is not pinned (reach: not bridged) */
    HGC_ERR_BAD_SIZE = 23,          /* payload size below the type's or above 1 GiB, or a stats struct too small */
    HGC_ERR_REENTRANT = 24,         /* refused: called from a callback of the same heap (see docs/abi.md) */
    HGC_ERR_READONLY = 25,          /* a write through, or a store of, a READONLY value */
    HGC_ERR_ABI_MISMATCH = 26       /* a trusted heap asked for by code compiled against another
                                       header layout (HGC_HEADER_LAYOUT), or options too small */
} hgc_status;

/* A static, never-NULL description of a status ("unknown status" for others). */
const char *hgc_status_string(hgc_status status);

/* The calling thread's last detailed error message; "" if none. Valid until the
   thread's next hgc_ call. */
const char *hgc_last_error(void);

/* ---- Value helpers (inline: no call) ---------------------------------------- */

static inline uint32_t hgc_value_tag(hgc_value v) { return (uint32_t)(v.metadata >> HGC_TAG_SHIFT); }

static inline hgc_value hgc_null(void) {
    hgc_value v = {HGC_TYPE_NULL, 0, (uint64_t)HGC_TAG_NULL << HGC_TAG_SHIFT};
    return v;
}
static inline hgc_value hgc_void(void) {
    hgc_value v = {HGC_TYPE_VOID, 0, (uint64_t)HGC_TAG_VOID << HGC_TAG_SHIFT};
    return v;
}
static inline hgc_value hgc_bool(int b) {
    hgc_value v = {HGC_TYPE_BOOL, 0, ((uint64_t)HGC_TAG_BOOL << HGC_TAG_SHIFT) | (b ? 1u : 0u)};
    return v;
}
/* i must lie in [HGC_INT_MIN, HGC_INT_MAX]; hgc_make_int checks. */
static inline hgc_value hgc_int_unchecked(int64_t i) {
    hgc_value v = {HGC_TYPE_INTEGER, 0,
                   ((uint64_t)HGC_TAG_INT << HGC_TAG_SHIFT) | ((uint64_t)i & HGC_PAYLOAD_MASK)};
    return v;
}
static inline hgc_status hgc_make_int(int64_t i, hgc_value *out) {
    if (!out) return HGC_ERR_NULL_ARGUMENT;
    if (i < HGC_INT_MIN || i > HGC_INT_MAX) return HGC_ERR_INT_OUT_OF_RANGE;
    *out = hgc_int_unchecked(i);
    return HGC_OK;
}
/* The integer of an HGC_TAG_INT value (bits 0-59, sign-extended). */
static inline int64_t hgc_int_of(hgc_value v) {
    return (int64_t)(v.metadata << 4) >> 4;
}
static inline int hgc_bool_of(hgc_value v) { return (int)(v.metadata & 1u); }
static inline int hgc_is_boxed(hgc_value v) { return hgc_value_tag(v) == HGC_TAG_BOXED || hgc_value_tag(v) == HGC_TAG_ASYNC; }
static inline uint64_t hgc_flags_of(hgc_value v) { return v.metadata & HGC_FLAGS_KNOWN; }
static inline hgc_value hgc_boxed(uint64_t type_id, uint64_t handle, uint64_t flags) {
    hgc_value v = {type_id, handle, flags};
    return v;
}

/* Checks a value's shape (tag, flags, immediate payloads, built-in type ids); says
   nothing about whether a box handle is live (heap calls check that). */
hgc_status hgc_value_validate(hgc_value value);

/* ---- Type registry (process-wide, thread-safe) ------------------------------ */

/* Stable type id of a fully-qualified name ("namespace/Name@version"):
   FNV-1a 64 over its bytes as given (offset basis 0xcbf29ce484222325,
   prime 0x100000001b3). NULL yields 0, which no type has. Names must be UTF-8:
   every call that takes a name refuses other bytes with HGC_ERR_INVALID_NAME. */
uint64_t hgc_type_id(const char *fully_qualified_name);

/* The ABI version the library was built with (compare with HGC_ABI_VERSION). */
uint32_t hgc_abi_version(void);

typedef struct hgc_visitor hgc_visitor;

#define HGC_VTABLE_ACYCLIC (1u << 0) /* instances never form cycles */

typedef struct hgc_vtable {
    uint32_t size;              /* sizeof(hgc_vtable) as the caller compiled it */
    uint32_t flags;             /* HGC_VTABLE_* */
    uint64_t payload_size;      /* bytes of one instance */
    const uint32_t *reference_offsets; /* payload offsets of reference slots (8-aligned) */
    uint32_t reference_count;
    uint32_t reserved;          /* 0 */
    /* Reports references the slots do not hold (e.g. foreign edges); may be NULL. */
    void (*trace)(void *payload, hgc_visitor *visitor, void *context);
    /* Runs once before the instance is freed; may be NULL. */
    void (*finalize)(void *payload, void *context);
    /* Writes a description (not NUL-terminated past capacity); returns its length. */
    size_t (*to_string)(const void *payload, char *buffer, size_t capacity, void *context);
    /* Converts to another type; returns a status. May be NULL. */
    hgc_status (*cast)(hgc_value value, uint64_t target_type_id, hgc_value *out, void *context);
    void *context;              /* passed to every callback */
} hgc_vtable;

/* Registers name with a copy of *vtable. Registering the same name again with the
   same layout returns the same id; another layout: HGC_ERR_LAYOUT_MISMATCH; another
   name holding the id: HGC_ERR_TYPE_ID_COLLISION (hgc_last_error names both). */
hgc_status hgc_register_type(const char *name, const hgc_vtable *vtable, uint64_t *out_type_id);

/* The id registered under name. */
hgc_status hgc_lookup_type(const char *name, uint64_t *out_type_id);

/* Copies the registered vtable into *out, at most out_size bytes (pass sizeof). */
hgc_status hgc_type_vtable(uint64_t type_id, hgc_vtable *out, uint32_t out_size);

/* Writes the type's name and a NUL into buffer; *out_length gets the name's length.
   HGC_ERR_BUFFER_TOO_SMALL if it did not fit (truncated, still NUL-terminated). */
hgc_status hgc_type_name(uint64_t type_id, char *buffer, size_t capacity, size_t *out_length);

/* ---- Heaps ------------------------------------------------------------------
 * A heap belongs to the thread that created it (hgc_heap_transfer moves it); calls
 * from another thread return HGC_ERR_WRONG_THREAD. Several heaps may live in one
 * process. A heap handle is checked on every call: after hgc_heap_destroy it is
 * stale (HGC_ERR_HEAP_DESTROYED), and so is every value handle of that heap. */

typedef uint64_t hgc_heap;

/* HGC_ERR_OUT_OF_MEMORY when the heap table is full (2^24 - 1 heaps alive, or a
 * slot's generations used up): destroy a heap first. */
hgc_status hgc_heap_create(hgc_heap *out_heap);
/* Releases every handle of the heap, runs a full collection and frees the heap. */
hgc_status hgc_heap_destroy(hgc_heap heap);
/* Makes the calling thread the owner (the previous owner must have stopped: a call
   racing with the transfer is a data race). Afterwards the previous owner's calls
   return HGC_ERR_WRONG_THREAD. */
hgc_status hgc_heap_transfer(hgc_heap heap);

/* ---- Boxed values -------------------------------------------------------------
 * Every boxed value a call returns is a new strong handle: the caller owns it and
 * gives it back with hgc_release (once; a second release is HGC_ERR_STALE_HANDLE).
 * hgc_retain makes another handle to the same object. Handles are checked: a
 * released, forged or other heap's handle, or a type_id that does not match the
 * object, is reported and changes nothing. */

/* A new zeroed instance of type_id; payload_size 0 means the type's size. */
hgc_status hgc_alloc(hgc_heap heap, uint64_t type_id, uint64_t payload_size, hgc_value *out);
hgc_status hgc_retain(hgc_heap heap, hgc_value value, hgc_value *out);
hgc_status hgc_release(hgc_heap heap, hgc_value value);
/* The payload's address and size, valid while the handle lives. Write the type's
   own data there; reference slots are written only with hgc_store. A READONLY
   value: HGC_ERR_READONLY (read through hgc_payload_const). */
hgc_status hgc_payload(hgc_heap heap, hgc_value value, void **out_payload, uint64_t *out_size);
/* Reference slot `slot` (index into the vtable's reference_offsets): a new handle
   to the referenced object, or hgc_null(). */
hgc_status hgc_load(hgc_heap heap, hgc_value object, uint32_t slot, hgc_value *out);
/* Stores a boxed value (or hgc_null()) into reference slot `slot`; counts stay right.
   HGC_ERR_READONLY if object is read-only, or value is (a slot keeps no flags). */
hgc_status hgc_store(hgc_heap heap, hgc_value object, uint32_t slot, hgc_value value);
/* 1 in *out_same when both handles refer to the same object. */
hgc_status hgc_same(hgc_heap heap, hgc_value a, hgc_value b, int *out_same);

/* Pins keep an object alive whatever else holds it (a strong boundary edge, a
   root); they nest. The returned value carries HGC_FLAG_PINNED. */
hgc_status hgc_pin(hgc_heap heap, hgc_value value, hgc_value *out_pinned);
hgc_status hgc_unpin(hgc_heap heap, hgc_value value);

/* A weak boundary edge (HGC_FLAG_WEAK): does not keep the object alive. Weak values
   need no release. hgc_upgrade gives a new strong handle, or hgc_null() once the
   object has died. */
hgc_status hgc_make_weak(hgc_heap heap, hgc_value value, hgc_value *out_weak);
hgc_status hgc_upgrade(hgc_heap heap, hgc_value weak, hgc_value *out);

/* ---- Collection and statistics ------------------------------------------------ */

#define HGC_COLLECT_MINOR 0u
#define HGC_COLLECT_FULL  1u
hgc_status hgc_collect(hgc_heap heap, uint32_t kind);

typedef struct hgc_heap_stats {
    uint32_t size;             /* set to sizeof(hgc_heap_stats) before the call */
    uint32_t reserved;
    uint64_t live_objects, live_bytes;
    uint64_t allocated_objects, freed_objects;
    uint64_t minor_collections, full_collections;
    uint64_t total_pause_ns, max_pause_ns;
    uint64_t finalizers_run;
    uint64_t handles;          /* strong handles the C side holds */
    uint64_t pinned_objects;
} hgc_heap_stats;
/* Fills the first stats->size bytes (append-only: older callers get the prefix). */
hgc_status hgc_heap_statistics(hgc_heap heap, hgc_heap_stats *stats);

/* ---- Functions exposed through the registry ------------------------------------
 * Every back end calls plugin functions with one shape, hgc_fn. Function ids are
 * hgc_type_id(name) of a "namespace/name[@version]" name, in a table of their own;
 * a second, different function under a taken id is refused. Thread-safe. */

hgc_status hgc_register_function(const char *name, hgc_fn fn, void *context, uint64_t *out_function_id);
hgc_status hgc_lookup_function(const char *name, uint64_t *out_function_id);
/* Calls the function with (argc, args, its context); its result goes to *out. The
   arguments and the result follow the value rules above (boxed results are new
   handles the caller releases). HGC_ERR_UNKNOWN_TYPE for an unknown id. */
hgc_status hgc_call(uint64_t function_id, uint32_t argc, hgc_value *args, hgc_value *out);

/* ---- Dispatch through the registry's vtables ----------------------------------- */

/* Writes a description of value into buffer (NUL-terminated, truncated to capacity)
   and its full length into *out_length. Immediates are described by the library;
   boxed values by their vtable's to_string (HGC_ERR_NOT_APPLICABLE if it has none).
   HGC_ERR_BUFFER_TOO_SMALL when truncated. */
hgc_status hgc_to_string(hgc_heap heap, hgc_value value, char *buffer, size_t capacity, size_t *out_length);
/* Converts value to target_type_id: the same type returns a new handle to the same
   object (or the immediate); otherwise the vtable's cast decides
   (HGC_ERR_NOT_APPLICABLE if it has none). */
hgc_status hgc_cast(hgc_heap heap, hgc_value value, uint64_t target_type_id, hgc_value *out);

/* ---- Collecting cycles across two collectors (the bridge) ---------------------
 * A foreign collector registers callbacks; HakoGC's full collections then mark
 * both heaps in one pass (docs/abi.md, "The bridge"):
 *  - a foreign object that holds a HakoGC value holds it by a *bridged pin*
 *    (hgc_pin_bridged): strong, but not a root of HakoGC's own;
 *  - a HakoGC object's vtable trace reports the foreign objects it holds with
 *    hgc_visit_foreign;
 *  - during marking the foreign side marks from its roots (mark_roots) and from
 *    every foreign object HakoGC reports live (mark_foreign), and for every foreign
 *    object it marks calls hgc_bridge_reach on each bridged pin that object holds;
 *  - bridged pins not reached belong to dead foreign objects: the collection
 *    releases them (their handles become stale); then HakoGC frees its garbage and
 *    calls sweep, where the foreign side frees what it did not mark. */

typedef struct hgc_bridge {
    uint32_t size;      /* sizeof(hgc_bridge) */
    uint32_t reserved;  /* 0 */
    void (*mark_roots)(hgc_heap heap, void *context);
    void (*mark_foreign)(hgc_heap heap, uint64_t foreign_ref, void *context);
    void (*sweep)(hgc_heap heap, void *context);
    void *context;
} hgc_bridge;

/* Registers (copies) the bridge; NULL unregisters. */
hgc_status hgc_bridge_register(hgc_heap heap, const hgc_bridge *bridge);
/* A pinned value owned by a foreign object (released by hgc_unpin, or by a joint
   collection that finds its foreign owner dead). */
hgc_status hgc_pin_bridged(hgc_heap heap, hgc_value value, hgc_value *out_pinned);
/* During mark_roots / mark_foreign only: a marked foreign object holds this bridged
   pin. Elsewhere: HGC_ERR_NOT_APPLICABLE. */
hgc_status hgc_bridge_reach(hgc_heap heap, hgc_value pinned);
/* From a vtable trace: the object holds foreign object foreign_ref. */
void hgc_visit_foreign(hgc_visitor *visitor, uint64_t foreign_ref);

/* ---- Added in 0x0104 ------------------------------------------------------------ */

/* The payload's address and size for reading, through any strong value (read-only
   ones included); valid while the handle lives. */
hgc_status hgc_payload_const(hgc_heap heap, hgc_value value, const void **out_payload, uint64_t *out_size);

/* ---- Added in 0x0105: heap modes and the trusted inline calls -------------------
 * A heap is created in one of two modes (docs/abi.md, "Modes"):
 *  - HGC_MODE_CHECKED (hgc_heap_create, and the default): box handles are checked
 *    handles; every call validates what it is given; bad input is a status.
 *  - HGC_MODE_TRUSTED: a box handle is the object's address. The hot operations are
 *    the static inline hgc_trusted_* functions below: they read and write the
 *    object header directly and call into the library only on a slow path. A
 *    runtime that passes a freed or forged value there has a bug, as with
 *    Py_DECREF on a freed object: it is undefined behaviour, not a status. Every
 *    other hgc_ call works in both modes (with the checks that stay cheap).
 * HAKOGC_ABI_CHECKED=1 in the environment (read by the first hgc_heap_create_with)
 * makes every later heap checked, whatever the options ask: a runtime's user turns
 * checking on without rebuilding (code that calls hgc_trusted_* directly must then
 * ask hgc_heap_mode and use the checked calls). 0 or empty: off; any other value
 * stops the process with a message, so a typo never leaves checking off. */

#define HGC_MODE_CHECKED 0u
#define HGC_MODE_TRUSTED 1u

/* The object header and page header layout the inline functions read and write:
   part of the ABI (2 since the allocation became inline).
   hgc_heap_create_with refuses a trusted heap whose caller was compiled against
   another layout (HGC_ERR_ABI_MISMATCH). */
#define HGC_HEADER_LAYOUT 2u

typedef struct hgc_heap_options {
    uint32_t size;          /* sizeof(hgc_heap_options) as the caller compiled it */
    uint32_t mode;          /* HGC_MODE_CHECKED or HGC_MODE_TRUSTED */
    uint32_t header_layout; /* HGC_HEADER_LAYOUT (checked in trusted mode) */
    uint32_t reserved;      /* 0 */
} hgc_heap_options;

/* A new heap owned by the calling thread, in options->mode (CHECKED if
   HAKOGC_ABI_CHECKED=1). HGC_ERR_ABI_MISMATCH for another header layout or a size
   below 12; HGC_ERR_NOT_APPLICABLE for an unknown mode or reserved != 0. */
hgc_status hgc_heap_create_with(const hgc_heap_options *options, hgc_heap *out_heap);
/* The mode the heap was created in. */
hgc_status hgc_heap_mode(hgc_heap heap, uint32_t *out_mode);

/* The header in front of every payload (HGC_HEADER_LAYOUT 2): two 64-bit words;
   word 0 holds the count and the bits below (the whole table is in the library's
   Sources/GcCore/ObjectHeader.swift, and a test checks these against it). */
enum {
    HGC_HEADER_SIZE = 16,          /* the payload starts 16 bytes after the header */
    HGC_HEADER_TYPE_SHIFT = 32,    /* bits 32-47: type index; 0 marks a freed slot */
    HGC_HEADER_COLOR_SHIFT = 48,   /* bits 48-49: cycle-collector colour (3 = candidate) */
    HGC_HEADER_BUFFERED_BIT = 50,  /* in the candidate buffer */
    HGC_HEADER_ACYCLIC_BIT = 51,   /* never a cycle candidate */
    HGC_HEADER_DYING_BIT = 55,     /* being destroyed or garbage */
    HGC_HEADER_BARRIER_BIT = 63    /* a collection in progress must see changes first */
};
#define HGC__HDR_COUNT_MASK UINT64_C(0xFFFFFFFF)
#define HGC__HDR_TYPE_MASK (UINT64_C(0xFFFF) << HGC_HEADER_TYPE_SHIFT)
#define HGC__HDR_BIT(n) (UINT64_C(1) << (n))
#define HGC__HDR_CANDIDATE ((UINT64_C(3) << HGC_HEADER_COLOR_SHIFT) | HGC__HDR_BIT(HGC_HEADER_BUFFERED_BIT))

/* Slow paths of the inline calls (they may run finalizers and collections). */
hgc_status hgc_trusted_retain_slow(hgc_value value);
hgc_status hgc_trusted_release_slow(hgc_value value);
hgc_status hgc_trusted_store_slow(hgc_value object, uint32_t offset, hgc_value value);
/* The registry's type id per header type index (never moves; 0 where no type). */
const uint64_t *hgc_type_id_table(void);

/* Allocation on a trusted heap without a lookup per call: an allocator for one
   type, made once (valid until the heap is destroyed; owned by the heap), then
   hgc_trusted_alloc (inline, below) per object — a free-list pop or a bump in the
   heap's current page, a zeroed payload, count 1 owned by the caller. May run a
   collection (on its slow path). Unchecked: that the heap still exists and belongs
   to the calling thread. The fields are the library's: the inline allocation reads
   and writes what they point at (HGC_HEADER_LAYOUT 2); a caller never changes them. */
typedef struct hgc_allocator {
    uint64_t *current_page;      /* the heap's current page of this size class, or a 0 */
    int64_t *budget;             /* bytes left before the collector must be asked */
    int64_t *allocated_objects;  /* the heap's statistics */
    int64_t *allocated_bytes;
    const uint32_t *epoch;       /* goes into header word 1, bits 32-63 */
    uint64_t header_word;        /* header word 0 of a new object (count 1) */
    int64_t slot_bytes;          /* bytes per slot, header included */
    uint64_t payload_size;
    uint64_t type_id;
    uint64_t metadata;           /* of the values returned */
    void *library;               /* the library's own state */
} hgc_allocator;
hgc_status hgc_trusted_allocator(hgc_heap heap, uint64_t type_id, hgc_allocator **out_allocator);
/* The out-of-line allocation (refill, collection, out of memory, null arguments). */
hgc_status hgc_trusted_alloc_slow(hgc_allocator *allocator, hgc_value *out);

/* The page header fields the inline allocation uses (HGC_HEADER_LAYOUT 2): a page is
   64 KiB aligned, so an object's page is its address & ~0xFFFF (the whole table is
   in Sources/GcCore/Page.swift). */
enum {
    HGC__PAGE_FREE_LIST = 8,   /* uint64: first free slot (its word 1 links the next), or 0 */
    HGC__PAGE_BUMP = 16,       /* uint32: offset of the next never-used slot */
    HGC__PAGE_END = 20,        /* uint32: offset past the last slot */
    HGC__PAGE_SLOT_SIZE = 24,  /* uint32: bytes per slot */
    HGC__PAGE_LIVE = 32        /* uint32: allocated slots */
};
#define HGC__PAGE_FIELD(page, type, offset) (*(type *)((char *)(page) + (offset)))

/* Trusted mode only. Checked here, at no measurable cost: a value without a box
   handle (an immediate, null) and a weak value are HGC_ERR_NOT_APPLICABLE; releasing
   a pinned value is refused (hgc_unpin). Not checked: that the value is a live
   object of a trusted heap, owned by the calling thread. */

static inline uint64_t *hgc__header(hgc_value v) { return (uint64_t *)(uintptr_t)v.box_handle; }

/* The payload's address (valid while the value's count is held). Unchecked. */
static inline void *hgc_trusted_payload(hgc_value v) {
    return (char *)(uintptr_t)v.box_handle + HGC_HEADER_SIZE;
}

/* Whether two values refer to the same object. */
static inline int hgc_trusted_same(hgc_value a, hgc_value b) { return a.box_handle == b.box_handle; }

/* One more count on the value's object; the same value now stands for two owners
   (give each back with hgc_trusted_release). */
static inline hgc_status hgc_trusted_retain(hgc_value v) {
    uint64_t *h = hgc__header(v);
    if (h == NULL || (v.metadata & HGC_FLAG_WEAK)) return HGC_ERR_NOT_APPLICABLE;
    uint64_t w = *h;
    if ((w & HGC__HDR_COUNT_MASK) == HGC__HDR_COUNT_MASK || (w & HGC__HDR_TYPE_MASK) == 0)
        return hgc_trusted_retain_slow(v);
    *h = w + 1;
    return HGC_OK;
}

/* Gives back one count. Inline while the object keeps other counts and needs no
   bookkeeping (acyclic, dying, or already a buffered candidate); otherwise the
   library decides (freeing at zero, buffering a cycle candidate, a barrier). */
static inline hgc_status hgc_trusted_release(hgc_value v) {
    uint64_t *h = hgc__header(v);
    if (h == NULL || (v.metadata & (HGC_FLAG_WEAK | HGC_FLAG_PINNED))) return hgc_trusted_release_slow(v);
    uint64_t w = *h;
    if ((w & HGC__HDR_COUNT_MASK) > 1 && !(w & HGC__HDR_BIT(HGC_HEADER_BARRIER_BIT))
        && ((w & (HGC__HDR_BIT(HGC_HEADER_ACYCLIC_BIT) | HGC__HDR_BIT(HGC_HEADER_DYING_BIT)))
            || (w & HGC__HDR_CANDIDATE) == HGC__HDR_CANDIDATE)) {
        *h = w - 1;
        return HGC_OK;
    }
    return hgc_trusted_release_slow(v);
}

static inline const uint64_t *hgc__type_ids(void) {
    static const uint64_t *table;
    if (table == NULL) table = hgc_type_id_table();
    return table;
}

/* The reference in the slot at byte `offset` of the payload, as a new owned value
   (hgc_null() if the slot is empty). Unchecked: offset must be one of the type's
   reference offsets. */
static inline hgc_value hgc_trusted_load(hgc_value object, uint32_t offset) {
    uint64_t bits = *(const uint64_t *)((const char *)hgc_trusted_payload(object) + offset);
    if (bits == 0) return hgc_null();
    uint64_t *h = (uint64_t *)(uintptr_t)bits;
    uint64_t w = *h;
    uint64_t type_id = hgc__type_ids()[(w & HGC__HDR_TYPE_MASK) >> HGC_HEADER_TYPE_SHIFT];
    uint64_t metadata = type_id == HGC_TYPE_FUTURE
        ? ((uint64_t)HGC_TAG_ASYNC << HGC_TAG_SHIFT) | HGC_FLAG_ASYNC : 0;
    hgc_value v = {type_id, bits, metadata};
    if ((w & HGC__HDR_COUNT_MASK) == HGC__HDR_COUNT_MASK) {
        hgc_trusted_retain_slow(v); /* stops the process: count overflow */
    } else {
        *h = w + 1;
    }
    return v;
}

/* The common end of the stores: puts `bits` in the slot and releases what it held. */
static inline hgc_status hgc__replace_slot(uint64_t *header, uint32_t offset, uint64_t bits) {
    uint64_t *slot = (uint64_t *)((char *)header + HGC_HEADER_SIZE + offset);
    uint64_t old = *slot;
    *slot = bits;
    if (old == 0) return HGC_OK;
    hgc_value previous = {0, old, 0};
    return hgc_trusted_release(previous);
}

/* Stores value (a boxed value of the same heap, or hgc_null()) into the slot at byte
   `offset` of object's payload: the new target gains a count, the old one loses
   one. Unchecked: offset must be one of the type's reference offsets, and value of
   the same heap. A read-only object or value goes to the slow path (HGC_ERR_READONLY). */
static inline hgc_status hgc_trusted_store(hgc_value object, uint32_t offset, hgc_value value) {
    uint64_t *h = hgc__header(object);
    uint64_t *target = hgc__header(value);
    if (h == NULL || (*h & HGC__HDR_BIT(HGC_HEADER_BARRIER_BIT))
        || ((object.metadata | value.metadata) & (HGC_FLAG_WEAK | HGC_FLAG_READONLY))
        || (target == NULL && hgc_value_tag(value) != HGC_TAG_NULL))
        return hgc_trusted_store_slow(object, offset, value);
    if (target != NULL) {
        uint64_t w = *target;
        if ((w & HGC__HDR_COUNT_MASK) == HGC__HDR_COUNT_MASK || (w & HGC__HDR_TYPE_MASK) == 0)
            return hgc_trusted_store_slow(object, offset, value);
        *target = w + 1;
    }
    return hgc__replace_slot(h, offset, value.box_handle);
}

/* Like hgc_trusted_store, but takes over the caller's count on value instead of
   adding one (a move: the caller no longer releases value). For initializing a new
   object's slots, as a runtime moves a fresh value into a field. */
static inline hgc_status hgc_trusted_store_moving(hgc_value object, uint32_t offset, hgc_value value) {
    uint64_t *h = hgc__header(object);
    if (h == NULL || (*h & HGC__HDR_BIT(HGC_HEADER_BARRIER_BIT))
        || ((object.metadata | value.metadata) & (HGC_FLAG_WEAK | HGC_FLAG_READONLY | HGC_FLAG_PINNED))
        || (value.box_handle == 0 && hgc_value_tag(value) != HGC_TAG_NULL)) {
        hgc_status status = hgc_trusted_store_slow(object, offset, value);
        if (status == HGC_OK && value.box_handle != 0) hgc_trusted_release(value); /* the moved count */
        return status;
    }
    return hgc__replace_slot(h, offset, value.box_handle);
}

/* A new object of the allocator's type: count 1 owned by the caller, payload
   zeroed. HeapCore.allocate's fast path (Sources/GcCore/HeapCore.swift): take the
   budget, pop the current page's free list or bump, write the header; everything
   else is hgc_trusted_alloc_slow. */
static inline hgc_status hgc_trusted_alloc(hgc_allocator *a, hgc_value *out) {
    if (a == NULL || out == NULL) return hgc_trusted_alloc_slow(a, out);
    char *page = (char *)(uintptr_t)*a->current_page;
    int64_t budget = *a->budget - a->slot_bytes;
    if (page == NULL || budget < 0) return hgc_trusted_alloc_slow(a, out);
    uint64_t *o = (uint64_t *)(uintptr_t)HGC__PAGE_FIELD(page, uint64_t, HGC__PAGE_FREE_LIST);
    if (o != NULL) {
        HGC__PAGE_FIELD(page, uint64_t, HGC__PAGE_FREE_LIST) = o[1];
    } else {
        uint32_t bump = HGC__PAGE_FIELD(page, uint32_t, HGC__PAGE_BUMP);
        uint32_t next = bump + HGC__PAGE_FIELD(page, uint32_t, HGC__PAGE_SLOT_SIZE);
        if (next > HGC__PAGE_FIELD(page, uint32_t, HGC__PAGE_END)) return hgc_trusted_alloc_slow(a, out);
        HGC__PAGE_FIELD(page, uint32_t, HGC__PAGE_BUMP) = next;
        o = (uint64_t *)(page + bump);
    }
    HGC__PAGE_FIELD(page, uint32_t, HGC__PAGE_LIVE) += 1;
    *a->budget = budget;
    *a->allocated_objects += 1;
    *a->allocated_bytes += a->slot_bytes;
    o[0] = a->header_word;
    o[1] = (uint64_t)*a->epoch << 32;
    if (a->payload_size <= 16) {
        o[2] = 0; /* a slot's payload area is at least 16 bytes */
        o[3] = 0;
    } else {
        memset(o + 2, 0, a->payload_size);
    }
    out->type_id = a->type_id;
    out->box_handle = (uint64_t)(uintptr_t)o;
    out->metadata = a->metadata;
    return HGC_OK;
}

/* ---- Added in 0x0106: profiling, leak checks, guest-language sites ----------------
 * The profiler of docs/profiling.md through the ABI: the same switches as the
 * environment (HAKOGC_PROFILE, HAKOGC_TRACE, HAKOGC_LEAKCHECK), per heap. */

/* An open event log (docs/event-log.md). A handle like a heap's: a stale or made-up
   one is HGC_ERR_STALE_HANDLE / HGC_ERR_FORGED_HANDLE, never a crash. */
typedef uint64_t hgc_profile;

/* Creates (truncates) the event log at `path`; `sample_rate` is the mean number of
   bytes between allocation samples (0: none; 1: every allocation); `label` may be
   NULL. The caller owns it (hgc_profile_close). Any thread. HGC_ERR_NOT_APPLICABLE
   with the system's reason when the file cannot be created. */
hgc_status hgc_profile_open(const char *path, const char *label, uint64_t sample_rate, hgc_profile *out_profile);
/* Records `heap` (collections, allocation samples and their frees) into the log
   from now on; owner thread of the heap. */
hgc_status hgc_profile_attach(hgc_profile profile, hgc_heap heap);
/* Stops recording `heap` there (its heap-end record is written). */
hgc_status hgc_profile_detach(hgc_profile profile, hgc_heap heap);
/* Adds a snapshot of `heap`'s statistics, per type. */
hgc_status hgc_profile_snapshot(hgc_profile profile, hgc_heap heap);
/* Writes what attached heaps buffered and the process-end record, and closes the
   log; the handle is stale afterwards. Call it when the attached heaps are idle. */
hgc_status hgc_profile_close(hgc_profile profile);
/* A line per collection of `heap` on standard error (on != 0), as HAKOGC_TRACE=1. */
hgc_status hgc_heap_set_trace(hgc_heap heap, uint32_t on);

/* Collects everything, then reports what is still alive (docs/profiling.md,
   "Leaks"): the report's text into `buffer` as hgc_to_string does (NUL-terminated,
   truncated to `capacity`; `out_length` gets the full length; NULL buffer to ask
   for it), and the number of objects alive into `out_objects` (0: clean). Not from
   a finalizer, vtable callback or bridge callback (HGC_ERR_REENTRANT). */
hgc_status hgc_leak_check(hgc_heap heap, char *buffer, size_t capacity, size_t *out_length, uint64_t *out_objects);

/* One frame of the runtime's own (guest-language) stack. */
typedef struct hgc_guest_frame {
    const char *function;  /* required */
    const char *file;      /* may be NULL */
    uint32_t line;         /* 0 when unknown */
    uint32_t reserved;     /* 0 */
} hgc_guest_frame;
/* Writes up to `capacity` guest frames, innermost first, and returns how many. The
   strings need only live until it returns (they are copied). Called on the heap's
   owner thread each time an allocation (or pin) of the heap is sampled, from inside
   the heap: every hgc_ call that changes the heap returns HGC_ERR_REENTRANT then. */
typedef size_t (*hgc_guest_stack_fn)(hgc_guest_frame *frames, size_t capacity, void *context);
/* Allocation samples of `heap` carry the guest frames `fn` reports above the native
   stack, so a profile names the guest function that allocated (NULL removes it). */
hgc_status hgc_profile_set_guest_stack(hgc_heap heap, hgc_guest_stack_fn fn, void *context);

#ifdef __cplusplus
}
#endif
#endif
